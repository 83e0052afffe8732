"""Tiny trained runs for the Compare GUI tests (trained by the CLI, as a person would)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from cnnstudio.cli import main

TINY_CONFIG = """\
seed = 5
device = "cpu"
threads = 1

[dataset]
id = "retail.products"
options = {{ count = 120, size = 16 }}

[model]
input_size = 16
pooling = "{pooling}"
conv_layers = [ {{ out_channels = 8, pool = true }}, {{ out_channels = 16, pool = true }} ]

[training]
epochs = {epochs}
batch_size = 16
test_fraction = 0.1
"""


def train_tiny(root: Path, name: str, pooling: str = "max", epochs: int = 2) -> Path:
    """Train a tiny retail.products run into ``root`` (the runs root) and return its folder."""
    config = root.parent / f"{name}.toml"
    config.write_text(TINY_CONFIG.format(pooling=pooling, epochs=epochs), encoding="utf-8")
    before = set(root.iterdir()) if root.exists() else set()
    assert main(["train", "--config", str(config), "--out", str(root), "--no-progress"]) == 0
    (run,) = set(root.iterdir()) - before
    return run


def click_row(qtbot, table, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click the first cell of ``row`` with the mouse (Ctrl held for ``ControlModifier``)."""
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def row_of(view, run: Path) -> int:
    return [r["path"] for r in view.rows].index(str(run))
