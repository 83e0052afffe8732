"""A run stopped before its first best, opened from the Runs tab: every analysis tab uses its last
checkpoint and says so; a run with no checkpoint at all is named with the reason."""

from __future__ import annotations

import shutil

import pytest
from gui_inspect_helpers import write_png
from gui_window_helpers import RETAIL, click_tab, copy_run, open_in_runs_tab, train_retail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

NOTE = "This run was stopped before its first validated best; using its last checkpoint (part of epoch 1)."


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    return train_retail(tmp_path_factory.mktemp("stopped"), stopped=True)


def test_opening_a_stopped_run_says_so_and_marks_it_current(qtbot, window, stopped_run):
    run = copy_run(stopped_run, window.controller.runs_root)
    row = open_in_runs_tab(qtbot, window, run)
    assert window.statusBar().currentMessage() == (
        f"Opened run {run.name} ({RETAIL}, 0 epochs, no validated best yet): Evaluate, Threshold, "
        f"Try an image and Export now show it. {NOTE}")
    table = window.runs_view.table
    assert window.runs_view.current_row() == row
    assert all(table.item(row, column).font().bold() for column in range(table.columnCount()))
    assert f"Current run: {run.name}" in window.runs_view.status_label.text()


def test_try_evaluate_threshold_filters_and_export_use_the_last_checkpoint(qtbot, window, stopped_run, tmp_path,
                                                                           monkeypatch):
    run = copy_run(stopped_run, window.controller.runs_root)
    open_in_runs_tab(qtbot, window, run)

    image = write_png(tmp_path / "shelf.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(image), ""))
    predict = window.predict_view
    click_tab(qtbot, window, predict)
    with qtbot.waitSignal(predict.predicted, timeout=30_000) as shown:
        qtbot.mouseClick(predict.choose_button, Qt.MouseButton.LeftButton)
    assert "error" not in shown.args[0] and shown.args[0]["class"] in ("shoe", "handbag")
    label = predict.run_label.text()
    assert run.name in label and f"trained on <b>{RETAIL}</b>" in label and NOTE in label

    evaluation = window.evaluation_view
    click_tab(qtbot, window, evaluation)
    qtbot.waitUntil(lambda: evaluation.report is not None or bool(evaluation.error), timeout=30_000)
    assert evaluation.error == "" and evaluation.report.weights == "last"
    assert NOTE in evaluation.run_label.text() and "Accuracy" in evaluation.summary.text()

    threshold = window.threshold_view
    click_tab(qtbot, window, threshold)
    qtbot.waitUntil(lambda: threshold.scores is not None, timeout=30_000)
    assert NOTE in threshold.run_label.text() and threshold.pages.currentWidget() is threshold.content

    filters = window.filters_view
    click_tab(qtbot, window, filters)
    qtbot.waitUntil(lambda: filters.model is not None, timeout=30_000)
    assert "(last weights)" in filters.run_label.text() and NOTE in filters.run_label.text()

    window.export_action.trigger()
    assert NOTE in window.export_dialog.identity_label.text()
    window.export_dialog.close()


def test_a_run_killed_before_its_first_checkpoint_is_named_with_the_reason(qtbot, window, stopped_run, tmp_path,
                                                                             monkeypatch):
    run = copy_run(stopped_run, window.controller.runs_root)
    shutil.rmtree(run / "weights")
    open_in_runs_tab(qtbot, window, run)
    assert "the run has no checkpoint yet" in window.statusBar().currentMessage()

    image = write_png(tmp_path / "shelf.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(image), ""))
    predict = window.predict_view
    click_tab(qtbot, window, predict)
    with qtbot.waitSignal(predict.predicted, timeout=30_000):
        qtbot.mouseClick(predict.choose_button, Qt.MouseButton.LeftButton)
    error = predict.error_label.text()
    assert str(run) in error and "no checkpoint yet" in error

    evaluation = window.evaluation_view
    click_tab(qtbot, window, evaluation)
    qtbot.waitUntil(lambda: bool(evaluation.error), timeout=30_000)
    assert str(run) in evaluation.status.text() and "no checkpoint yet" in evaluation.status.text()
