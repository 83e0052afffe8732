"""Run folders: safe file formats, damage reported by file name, torn logs, naming."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import torch
from trainer_helpers import tiny_config

from cnnstudio.core.errors import RunError
from cnnstudio.core.runs.folder import RunFolder, default_runs_root, list_runs, new_run_dir
from cnnstudio.core.train.trainer import Trainer


@pytest.fixture
def trained_run(tmp_path, squares, head_spec):
    run_dir = tmp_path / "run"
    Trainer(tiny_config(epochs=1), squares, head_spec, run_dir).fit()
    return RunFolder(run_dir)


def test_weights_are_safetensors_without_pickle_and_state_loads_weights_only(trained_run):
    for which in ("best", "last"):
        data = trained_run.weights_path(which).read_bytes()
        header_size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + header_size])
        assert header["__metadata__"]["epoch"] == "1"
        assert "backbone.conv1.weight" in header
        assert not zipfile.is_zipfile(io.BytesIO(data))  # torch.save files are zip archives with a pickle
    state = torch.load(trained_run.file("state/last.pt"), weights_only=True)
    assert state["loop"]["epoch"] == 1 and isinstance(state["torch_rng"], torch.Tensor)
    assert state["optimizer"]["state"]


def test_damaged_weights_raise_run_error_naming_the_file(trained_run):
    # Without the checkpoint's state (weights copied on their own) nothing can rebuild them.
    trained_run.file("state/last.pt").unlink()
    path = trained_run.weights_path("best")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RunError, match=r"weights/best.safetensors is damaged"):
        trained_run.load_weights("best")
    trained_run.weights_path("last").unlink()
    with pytest.raises(RunError, match=r"weights/last.safetensors is missing"):
        trained_run.load_weights("last")


def test_damaged_state_and_run_json_are_reported_by_name(trained_run):
    trained_run.file("state/last.pt").write_bytes(b"not a torch file")
    with pytest.raises(RunError, match=r"state/last.pt is damaged"):
        trained_run.load_state()
    trained_run.file("run.json").write_text("{torn")
    with pytest.raises(RunError, match=r"run.json is damaged"):
        trained_run.read_info()


def test_metrics_reader_skips_a_torn_last_line(tmp_path):
    run = RunFolder(tmp_path)
    run.append_metrics({"epoch": 1, "metrics": {"loss": 0.5}})
    run.append_metrics({"epoch": 2, "metrics": {"loss": 0.4}})
    with open(tmp_path / "metrics.jsonl", "a") as handle:
        handle.write('{"epoch": 3, "metr')  # killed mid-write
    assert [r["epoch"] for r in run.read_metrics()] == [1, 2]


def test_new_run_dirs_are_unique_sortable_and_listed(tmp_path, monkeypatch):
    first = new_run_dir(tmp_path, "retail products/seed")
    second = new_run_dir(tmp_path, "retail products/seed")
    assert first != second and first.name.endswith("retail-products-seed")
    assert sorted([second.name, first.name]) == [first.name, second.name]
    tiny_config().save(first / "config.toml")
    assert [r.path for r in list_runs(tmp_path)] == [first]
    monkeypatch.setenv("CNNSTUDIO_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert default_runs_root() == tmp_path / "elsewhere"


def test_atomic_writes_get_the_mode_a_plain_open_would(tmp_path):
    import os
    import stat

    from cnnstudio.core.atomic import atomic_write_text

    atomic_write_text(tmp_path / "atomic.txt", "x")
    (tmp_path / "plain.txt").write_text("x")
    mode = lambda name: stat.S_IMODE(os.stat(tmp_path / name).st_mode)  # noqa: E731
    assert mode("atomic.txt") == mode("plain.txt")
