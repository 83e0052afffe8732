"""Tiny trained runs for the Compare GUI tests (trained by the CLI, as a person would)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from tiny_runs import train_tiny_run


def train_tiny(root: Path, name: str, pooling: str = "max", epochs: int = 2) -> Path:
    """Train a tiny retail.products run into ``root`` (the runs root) and return its folder."""
    return train_tiny_run(root.parent, "retail.products", config_name=name, out=root,
                          seed=5, pooling=pooling, epochs=epochs)


def click_row(qtbot, table, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click the first cell of ``row`` with the mouse (Ctrl held for ``ControlModifier``)."""
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def row_of(view, run: Path) -> int:
    return [r["path"] for r in view.rows].index(str(run))
