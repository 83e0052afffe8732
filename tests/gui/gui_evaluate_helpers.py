"""Helpers for the Evaluate tab tests: a tiny trained run (via the CLI) and waiting for the view's evaluation."""

from __future__ import annotations

from pathlib import Path

import tiny_runs
from PySide6.QtCore import QPoint, Qt


def train_tiny_run(base: Path, dataset: str = "retail.products") -> Path:
    """120 images of 16 px (two product classes), a 2-conv model, one epoch, trained with the CLI into ``base``/runs."""
    options = {"classes": "2"} if dataset == "retail.products" else None  # the other datasets have no `classes`
    return tiny_runs.train_tiny_run(base, dataset, seed=3, options=options, test_fraction=0.2)


def wait_for_evaluation(qtbot, view, split: str = "val", timeout: int = 60_000) -> None:
    """Wait until the view shows a report (or an error) for ``split``."""
    qtbot.waitUntil(lambda: bool(view.error) or (view.report is not None and view.report.split == split), timeout=timeout)


def open_evaluation_view(qtbot, controller, run: Path):
    """A new, shown EvaluationView on ``run``, once its validation report (or error) is on screen."""
    from cnnstudio.gui.tabs.evaluate.evaluation_view import EvaluationView

    view = EvaluationView(controller)
    qtbot.addWidget(view)
    controller.run_opened.emit(str(run))
    view.show()
    wait_for_evaluation(qtbot, view)
    return view


def click_cell(qtbot, table, row: int, column: int) -> None:
    """Click a confusion-matrix cell with the mouse, as a person would."""
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))


def shown_matrix(table) -> list[list[int]]:
    """The counts the confusion table shows."""
    return [[table.count(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]
