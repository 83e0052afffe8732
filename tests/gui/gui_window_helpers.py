"""Helpers for the whole-window tests: tiny runs (finished or stopped early) and opening them as a person does."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from gui_inspect_helpers import tiny_config
from PySide6.QtCore import Qt

RETAIL = "Retail product photos"
DEFECTS = "Surface defects"
LOAD_TIMEOUT_MS = 60_000


def train_retail(root: Path, stopped: bool = False) -> Path:
    """A tiny retail run under ``root``: finished after one epoch, or stopped during its first (no best weights)."""
    from dataclasses import replace

    from cnnstudio.app.runner import train_run

    config = tiny_config("retail.products")
    if stopped:
        config = replace(config, training=replace(config.training, epochs=3))
    finished = train_run(config, runs_root=root, stop_requested=(lambda: True) if stopped else None)
    assert finished.reason == ("cancelled" if stopped else "completed")
    return Path(finished.run_dir)


def copy_run(run: Path, workspace: Path) -> Path:
    """A copy of ``run`` in ``workspace`` (each test changes its own)."""
    return Path(shutil.copytree(run, workspace / run.name))


def click_tab(qtbot: Any, window: Any, view: Any) -> None:
    """Click the tab of ``view`` in the window's tab bar."""
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(window.tabs.indexOf(view)).center())
    assert window.tabs.currentWidget() is view


def open_in_runs_tab(qtbot: Any, window: Any, run: Path) -> int:
    """Show the Runs tab, double-click ``run``'s row and wait until the table is listed again; returns its row."""
    runs = window.runs_view
    if window.tabs.currentWidget() is not runs:
        with qtbot.waitSignal(runs.refreshed, timeout=30_000):
            click_tab(qtbot, window, runs)
    row = next(r for r, values in enumerate(runs.rows) if values["path"] == str(run))
    rect = runs.table.visualItemRect(runs.table.item(row, 0))
    qtbot.mouseClick(runs.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click's press
    with qtbot.waitSignal(runs.refreshed, timeout=30_000):
        with qtbot.waitSignal(window.controller.run_opened, timeout=5_000):
            qtbot.mouseDClick(runs.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return next(r for r, values in enumerate(runs.rows) if values["path"] == str(run))
