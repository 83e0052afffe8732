"""`cnnstudio evaluate/predict/threshold/export` on a run stopped before its first best: its last checkpoint, with a note."""

from __future__ import annotations

import json
import shutil

import pytest
from tiny_runs import tiny_config_toml

from cnnstudio.cli.main import main

NOTE = "cnnstudio: note: This run was stopped before its first validated best; using its last checkpoint"


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """A retail run stopped (as by the Stop button) during its first epoch: weights/last only."""
    from cnnstudio.app.runner import train_run
    from cnnstudio.core.config import RunConfig

    config = RunConfig.from_toml(tiny_config_toml("retail.products", count=120, size=16, epochs=3))
    finished = train_run(config, runs_root=tmp_path_factory.mktemp("runs"), stop_requested=lambda: True)
    assert finished.reason == "cancelled"
    return finished.run_dir


def test_evaluate_and_predict_use_the_last_checkpoint_and_say_so(stopped_run, sample_png, capsys):
    assert main(["evaluate", stopped_run, "--split", "val", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert report["weights"] == "last" and "before its first validated best" in report["weights_note"]
    assert captured.err.startswith(NOTE)

    assert main(["predict", stopped_run, str(sample_png)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{sample_png}: ") and captured.err.startswith(NOTE)


def test_threshold_and_export_work_on_a_stopped_run(stopped_run, tmp_path, capsys):
    assert main(["threshold", stopped_run, "0.4"]) == 0
    captured = capsys.readouterr()
    assert "threshold set to 0.4000" in captured.out and captured.err.startswith(NOTE)

    out = tmp_path / "stopped.pt"
    code = main(["export", stopped_run, "--format", "torchscript", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code in (0, 1) and out.exists()  # written; parity is the export's own business
    assert json.loads(captured.out.strip().splitlines()[-1])["file"] == str(out)
    assert captured.err.startswith(NOTE)


def test_a_run_killed_before_its_first_checkpoint_is_an_error_naming_it(stopped_run, tmp_path, sample_png, capsys):
    empty = tmp_path / "killed run"
    shutil.copytree(stopped_run, empty)
    shutil.rmtree(empty / "weights")
    for command in (["evaluate", str(empty)], ["predict", str(empty), str(sample_png)], ["threshold", str(empty)]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cnnstudio: error: ") and "killed run" in err and "no checkpoint yet" in err
        assert "\n" not in err
