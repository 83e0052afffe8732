"""A run stopped before its first validated best: its last checkpoint stands in, with a note; none at all is an error."""

from __future__ import annotations

import shutil

import pytest
from trainer_helpers import tiny_config

from cnnstudio.core.errors import RunError
from cnnstudio.core.evaluate.evaluation import evaluate
from cnnstudio.core.evaluate.prediction import load_trained_model
from cnnstudio.core.evaluate.threshold import run_threshold, set_run_threshold
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.train.trainer import Trainer


@pytest.fixture
def stopped_run(tmp_path, squares, head_spec):
    run_dir = tmp_path / "stopped run"
    finished = Trainer(tiny_config(epochs=3), squares, head_spec, run_dir, stop_requested=lambda: True).fit()
    assert finished.reason == "cancelled"
    return RunFolder(run_dir)


def test_a_run_stopped_before_its_first_best_uses_its_last_checkpoint_and_says_so(stopped_run, squares):
    assert not stopped_run.weights_path("best").exists() and stopped_run.weights_path("last").exists()
    checkpoint = stopped_run.checkpoint("best")
    assert checkpoint.which == "last" and checkpoint.epoch == 0
    assert checkpoint.note == ("This run was stopped before its first validated best; "
                               "using its last checkpoint (part of epoch 1).")

    model = load_trained_model(stopped_run.path)
    assert model.which == "last" and model.note == checkpoint.note
    [entry] = model.predict_images(squares.images[:1])
    assert entry["class"] in ("bright", "dark")
    report = evaluate(model, squares, split="val")
    assert report.weights == "last" and report.to_dict()["weights_note"] == checkpoint.note


def test_a_stopped_runs_threshold_is_read_from_and_saved_to_its_last_checkpoint(stopped_run):
    assert run_threshold(stopped_run.path) == pytest.approx(0.5)
    set_run_threshold(stopped_run.path, 0.3)
    assert run_threshold(stopped_run.path) == pytest.approx(0.3)
    assert not stopped_run.weights_path("best").exists()  # nothing pretends to be a best checkpoint


def test_a_finished_run_still_uses_its_best_checkpoint(tmp_path, squares, head_spec):
    run_dir = tmp_path / "finished"
    Trainer(tiny_config(epochs=1), squares, head_spec, run_dir).fit()
    checkpoint = RunFolder(run_dir).checkpoint()
    assert (checkpoint.which, checkpoint.epoch, checkpoint.note) == ("best", 1, "")
    assert load_trained_model(run_dir).note == ""


def test_a_run_without_any_checkpoint_is_an_error_naming_its_folder(stopped_run):
    shutil.rmtree(stopped_run.path / "weights")
    with pytest.raises(RunError, match=r"stopped run: the run has no checkpoint yet") as raised:
        load_trained_model(stopped_run.path)
    assert str(stopped_run.path) in str(raised.value)
    with pytest.raises(RunError, match="no checkpoint yet"):
        run_threshold(stopped_run.path)
