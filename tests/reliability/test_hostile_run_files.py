"""Run files that are not what they claim, and a disk that fills up: one line naming the file, exit 2,
nothing already saved is lost, and the run's status says what happened."""

from __future__ import annotations

import errno
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from checkpoint_helpers import tear_config
from tiny_runs import tiny_config_toml

from cnnstudio.app.runner import train_run
from cnnstudio.cli.main import main
from cnnstudio.core.runs.folder import RunFolder


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    run_dir = base / "run"
    train_run(tear_config(base, epochs=2), run_dir=run_dir)
    return run_dir


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(finished_run, target)
    return target


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("cnnstudio: error: ")
    return lines[0]


def test_weights_linked_to_dev_zero_are_refused_before_reading(run_copy, capsys):
    best, last = run_copy / "weights" / "best.safetensors", run_copy / "weights" / "last.safetensors"
    last.unlink()
    last.symlink_to("/dev/zero")
    # With its checkpoint state, the run rebuilds the file; weights copied on their own are refused.
    RunFolder(run_copy).load_weights("last")
    assert last.is_file() and not last.is_symlink()
    (run_copy / "state" / "last.pt").unlink()
    best.unlink()
    best.symlink_to("/dev/zero")
    started = time.perf_counter()
    assert main(["evaluate", str(run_copy)]) == 2
    assert time.perf_counter() - started < 30
    assert "weights/best.safetensors is not a regular file" in _one_error_line(capsys)


def test_weights_longer_than_their_header_says_are_refused(run_copy, capsys):
    (run_copy / "state" / "last.pt").unlink()  # nothing to rebuild them from
    best = run_copy / "weights" / "best.safetensors"
    best.write_bytes(best.read_bytes() + b"\0" * 4096)
    assert main(["evaluate", str(run_copy)]) == 2
    assert "weights/best.safetensors is damaged" in _one_error_line(capsys)


def test_a_state_with_the_wrong_structure_is_one_line_and_the_status_stays_finished(run_copy, capsys):
    import torch

    torch.save({"loop": [1, 2, 3], "optimizer": {}}, run_copy / "state" / "last.pt")
    assert main(["resume", str(run_copy), "--epochs", "3", "--no-progress"]) == 2
    line = _one_error_line(capsys)
    assert "state/last.pt is damaged (no 'loop' section)" in line
    assert RunFolder(run_copy).status == "finished"
    # Evaluating does not need the state: the finished run still evaluates.
    assert main(["evaluate", str(run_copy)]) == 0


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/cnnstudio-pwned",))


def test_a_pickle_that_would_run_code_is_refused_in_one_line_without_running_it(run_copy, capsys):
    Path("/tmp/cnnstudio-pwned").unlink(missing_ok=True)
    (run_copy / "state" / "last.pt").write_bytes(pickle.dumps({"loop": Payload()}))
    assert main(["resume", str(run_copy), "--epochs", "3", "--no-progress"]) == 2
    line = _one_error_line(capsys)
    assert "state/last.pt is damaged or not a CNN Studio state file" in line
    assert "weights_only" not in line
    assert not Path("/tmp/cnnstudio-pwned").exists()
    assert RunFolder(run_copy).status == "finished"


def test_a_status_that_run_json_cannot_take_is_kept_in_the_status_slot(run_copy, monkeypatch):
    run = RunFolder(run_copy)
    run.mark_running()

    def disk_full(**changes):
        raise OSError(errno.ENOSPC, "No space left on device", str(run_copy / "run.json"))

    monkeypatch.setattr(run, "update_info", disk_full)
    run.set_status("failed", error="cannot write weights/last.safetensors: No space left on device")
    assert RunFolder(run_copy).status == "failed"
    assert (run_copy / "status.json").stat().st_size == 512


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_file_size_limit_while_training_names_the_file_keeps_the_checkpoint_and_marks_the_run(run_copy):
    state = run_copy / "state" / "last.pt"
    before = {p.name: p.read_bytes() for p in (state, run_copy / "weights" / "last.safetensors")}
    # Small files (run.json, metrics) still fit; the checkpoint state does not.
    limit = state.stat().st_size // 2
    result = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "resume", str(run_copy), "--epochs", "3", "--no-progress"],
        capture_output=True, text=True, preexec_fn=_limit_file_size(limit), timeout=120,
    )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("cnnstudio:")]
    assert errors and "cannot write" in errors[-1] and "state/last.pt" in errors[-1], result.stderr
    assert "File too large" in errors[-1]
    assert {p.name: p.read_bytes() for p in (state, run_copy / "weights" / "last.safetensors")} == before
    run = RunFolder(run_copy)
    assert run.status == "failed"
    assert "state/last.pt" in run.read_info()["error"]
    assert not list(run_copy.glob("**/.*.tmp"))


def test_a_config_with_a_relative_folder_trains_from_anywhere(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    project = tmp_path / "project"
    rng = np.random.default_rng(0)
    for class_name, level in (("dark", 40), ("light", 200)):
        (project / "photos" / class_name).mkdir(parents=True)
        for index in range(8):
            pixels = np.clip(rng.normal(level, 20, (20, 20, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(project / "photos" / class_name / f"IMG_{index:04d}.png")
    config = tiny_config_toml("folder:photos", size=16).replace("count = 120, ", "")
    (project / "run.toml").write_text(config, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["train", "--config", str(project / "run.toml"), "--out", str(tmp_path / "runs"), "--no-progress"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    stored = RunFolder(run_dir).load_config().dataset.id
    assert stored == f"folder:{(project / 'photos').resolve()}"
