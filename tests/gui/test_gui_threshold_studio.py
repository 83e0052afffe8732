"""The Threshold tab on a tiny heatmap-head defect run: live counts, solvers, line drag, and a saved threshold
that `cnnstudio predict` applies on every validation image exactly as the view counted."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from gui_threshold_helpers import open_view, shown_counts, train_with_cli
from PySide6.QtCore import Qt
from tiny_runs import validation_predictions

from cnnstudio.core.evaluate.threshold import run_threshold
from cnnstudio.core.evaluate.threshold_curves import (
    confusion_at,
    highest_threshold_with_recall,
    lowest_threshold_with_fpr,
)


@pytest.fixture(scope="module")
def defect_run(tmp_path_factory) -> Path:
    return train_with_cli(tmp_path_factory.mktemp("threshold_view"), "manufacturing.surfaces")


def expected_counts(view, threshold: float) -> dict[str, int]:
    counts = confusion_at(view.scores, view.positives, float(np.float32(threshold)))
    return {"tn": counts.tn, "fp": counts.fp, "fn": counts.fn, "tp": counts.tp}


def test_the_view_shows_the_runs_scores_and_its_saved_threshold(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    assert view.pages.currentWidget() is view.content
    assert view.scores.dtype == np.float32 and len(view.scores) == len(view.positives) > 0
    assert view.positives.any() and (~view.positives).any()
    assert view.value == pytest.approx(run_threshold(defect_run))
    assert "saved: " in view.saved_label.text() and "in use" in view.saved_label.text()
    assert not view.save_button.isEnabled() and not view.revert_button.isEnabled()
    assert "AUC" in view.plots.roc_plot.getPlotItem().titleLabel.text
    assert "AP" in view.plots.pr_plot.getPlotItem().titleLabel.text
    assert shown_counts(view) == expected_counts(view, view.value)


def test_moving_the_slider_recounts_the_confusion_matrix_live(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    seen = set()
    for step in (50, 200, 350, 500, 650, 800, 950):
        view.slider.setValue(step)
        assert view.value == pytest.approx(step / 1000)
        assert shown_counts(view) == expected_counts(view, step / 1000)
        assert view.plots.threshold_line.value() == pytest.approx(step / 1000)
        assert view.spin.value() == pytest.approx(step / 1000)
        seen.add(tuple(shown_counts(view).values()))
    assert len(seen) > 1  # the tiny run's scores spread enough for the counts to change
    view.slider.setFocus()
    qtbot.keyClick(view.slider, Qt.Key.Key_PageDown)
    assert view.value == pytest.approx(0.94)
    assert shown_counts(view) == expected_counts(view, 0.94)
    assert "unsaved change" in view.saved_label.text()
    assert view.save_button.isEnabled()
    qtbot.mouseClick(view.revert_button, Qt.MouseButton.LeftButton)
    assert view.value == pytest.approx(run_threshold(defect_run))


def test_dragging_the_histogram_line_moves_the_slider(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    view.plots.threshold_line.setValue(0.3)  # what a drag does to the item
    assert view.slider.value() == 300
    assert view.value == pytest.approx(0.3)
    assert shown_counts(view) == expected_counts(view, 0.3)


def test_the_fpr_solver_moves_the_slider_to_the_core_solution(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    view.fpr_target.setValue(0.1)
    qtbot.mouseClick(view.fpr_button, Qt.MouseButton.LeftButton)
    assert view.value == lowest_threshold_with_fpr(view.scores, view.positives, 0.1)
    assert view.counts.fpr <= 0.1
    assert "at most 10.0%" in view.solver_note.text() and "not saved yet" in view.solver_note.text()


def test_save_is_refused_while_this_run_trains(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    view.slider.setValue(123)
    assert view.save_button.isEnabled()
    controller.process = SimpleNamespace(run_dir=str(defect_run))  # the training child writing this run
    controller.run_state_changed.emit("training")
    assert not view.save_button.isEnabled()
    assert "training" in view.saved_label.text()
    controller.process = None
    controller.run_state_changed.emit("idle")
    assert view.save_button.isEnabled()


def test_recall_solver_then_save_gives_exactly_the_decisions_predict_makes(qtbot, controller, defect_run) -> None:
    view = open_view(qtbot, controller, defect_run)
    view.recall_target.setValue(0.9)
    qtbot.mouseClick(view.recall_button, Qt.MouseButton.LeftButton)
    solved = highest_threshold_with_recall(view.scores, view.positives, 0.9)
    assert view.value == solved
    assert view.slider.value() == round(solved * 1000)
    counted = shown_counts(view)
    assert counted == expected_counts(view, solved)

    with qtbot.waitSignal(controller.message, timeout=60_000) as said:
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    severity, text = said.args
    assert severity == "info" and f"{solved:.3f}" in text and defect_run.name in text and "predict" in text
    saved = run_threshold(defect_run)
    assert saved == float(np.float32(solved))
    assert view.saved_threshold == saved and "in use" in view.saved_label.text()
    assert not view.save_button.isEnabled()
    assert controller.evaluations.cached(str(defect_run), "val") is None

    entries, positives = validation_predictions(defect_run)
    decided = np.array([entry["index"] != 0 for entry in entries])
    predict_scores = np.array([entry["score"] for entry in entries], dtype=np.float32)
    assert all(entry["threshold"] == pytest.approx(saved) for entry in entries)
    assert np.array_equal(decided, predict_scores >= np.float32(saved))
    assert np.array_equal(positives, view.positives)
    assert np.array_equal(decided, view.scores >= np.float32(saved))  # on every validation image
    assert counted == {
        "tn": int((~decided & ~positives).sum()), "fp": int((decided & ~positives).sum()),
        "fn": int((~decided & positives).sum()), "tp": int((decided & positives).sum()),
    }
    assert counted["tp"] / positives.sum() >= 0.9
