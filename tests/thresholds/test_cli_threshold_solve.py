"""`cnnstudio threshold RUN --recall/--fpr`: solved on validation, saved, and exactly what predict applies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_runs import train_tiny_run, validation_predictions

from cnnstudio.cli.main import main
from cnnstudio.cli.threshold import validation_scores
from cnnstudio.core.evaluate.threshold import run_threshold
from cnnstudio.core.evaluate.threshold_curves import confusion_at


@pytest.fixture(scope="module")
def surfaces_run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("threshold_solve"), "manufacturing.surfaces", seed=1, count=160, size=32)


def test_recall_target_is_saved_and_predict_applies_it_on_every_validation_image(surfaces_run, capsys) -> None:
    assert main(["threshold", str(surfaces_run), "--recall", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "threshold set to" in out and "recall" in out and "false-positive rate" in out and "tp " in out
    saved = run_threshold(surfaces_run)
    assert 0 < saved < 1
    entries, positives = validation_predictions(surfaces_run)
    decided_positive = np.array([entry["index"] != 0 for entry in entries])
    scores = np.array([entry["score"] for entry in entries])
    assert all(entry["threshold"] == pytest.approx(saved) for entry in entries)
    assert np.array_equal(decided_positive, scores >= np.float32(saved))
    # The scores the solver saw are the ones predict computes, so the decisions agree with them too.
    solver_scores, solver_positives = validation_scores(surfaces_run)
    assert np.array_equal(solver_positives, positives)
    assert np.array_equal(decided_positive, solver_scores >= np.float32(saved))
    recall = (decided_positive & positives).sum() / positives.sum()
    assert recall >= 0.9
    assert confusion_at(solver_scores, positives, saved).recall >= 0.9


def test_fpr_target_bounds_false_alarms_on_validation(surfaces_run, capsys) -> None:
    assert main(["threshold", str(surfaces_run), "--fpr", "0.1"]) == 0
    capsys.readouterr()
    entries, positives = validation_predictions(surfaces_run)
    decided_positive = np.array([entry["index"] != 0 for entry in entries])
    assert (decided_positive & ~positives).sum() <= 0.1 * (~positives).sum()


def test_value_and_solver_together_or_both_solvers_are_refused(surfaces_run, capsys) -> None:
    before = run_threshold(surfaces_run)
    assert main(["threshold", str(surfaces_run), "0.3", "--recall", "0.9"]) != 0
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["threshold", str(surfaces_run), "--recall", "0.9", "--fpr", "0.1"])
    assert run_threshold(surfaces_run) == before


def test_an_impossible_target_is_explained_and_nothing_is_saved(surfaces_run, capsys) -> None:
    before = run_threshold(surfaces_run)
    assert main(["threshold", str(surfaces_run), "--recall", "1.5"]) != 0
    assert "recall must be between 0 and 1" in capsys.readouterr().err
    assert run_threshold(surfaces_run) == before
