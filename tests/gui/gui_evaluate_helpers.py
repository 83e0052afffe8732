"""Helpers for the Evaluate tab tests: a tiny trained run (via the CLI) and waiting for the view's evaluation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

# 120 product photos of 16 px, two classes, a 2-conv model (8 and 16 filters), one epoch, one thread.
TINY_TOML = """\
seed = 3
device = "cpu"
threads = 1

[dataset]
options = { count = 120, size = 16, classes = "2" }

[model]
input_size = 16
conv_layers = [ { out_channels = 8, pool = true }, { out_channels = 16, pool = true } ]

[training]
epochs = 1
batch_size = 16
test_fraction = 0.2
"""


def train_tiny_run(base: Path, dataset: str = "retail.products") -> Path:
    """Train the tiny config with the CLI into ``base``/runs; the run folder."""
    from cnnstudio.cli import main

    config = base / "tiny.toml"
    config.write_text(TINY_TOML, encoding="utf-8")
    out = base / "runs"
    code = main(["train", "--config", str(config), "--dataset", dataset, "--out", str(out), "--no-progress"])
    assert code == 0
    (run,) = list(out.iterdir())
    return run


def wait_for_evaluation(qtbot, view, split: str = "val", timeout: int = 60_000) -> None:
    """Wait until the view shows a report (or an error) for ``split``."""
    qtbot.waitUntil(lambda: bool(view.error) or (view.report is not None and view.report.split == split), timeout=timeout)


def click_cell(qtbot, table, row: int, column: int) -> None:
    """Click a confusion-matrix cell with the mouse, as a person would."""
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))


def shown_matrix(table) -> list[list[int]]:
    """The counts the confusion table shows."""
    return [[table.count(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]
