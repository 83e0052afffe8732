"""Views that are not on screen do no drawing while a run trains, and catch up when their tab is shown.

Keeps the GUI thread's heartbeat steady (bench/gui_heartbeat.py): a hidden
Filters tab keeps only the latest Snapshot, hidden curves redraw when shown.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnstudio.core.events import Snapshot


def snapshot(epoch: int, filters: int = 4) -> Snapshot:
    rng = np.random.default_rng(epoch)
    return Snapshot(
        epoch,
        {"conv1": rng.normal(size=(filters, 3, 3, 3)).astype(np.float32)},
        {"conv1": rng.random((2, filters, 8, 8), dtype=np.float32)},
        rng.integers(0, 256, (2, 3, 16, 16), dtype=np.uint8),
        (0, 1),
    )


def click_tab(qtbot, window, view) -> None:
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(window.tabs.indexOf(view)).center())
    assert window.tabs.currentWidget() is view


def test_a_hidden_filters_tab_draws_only_the_latest_snapshot_when_shown(qtbot, window):
    view = window.filters_view
    click_tab(qtbot, window, window.train_view)
    for epoch, filters in ((1, 4), (2, 4), (3, 6)):
        window.controller.run_event.emit(snapshot(epoch, filters))
    assert view.filter_grid.tiles == [] and view.snapshot is None  # nothing drawn while hidden

    click_tab(qtbot, window, view)
    assert view.snapshot.epoch == 3 and "epoch 3" in view.run_label.text()
    assert len(view.filter_grid.tiles) == 6  # the latest snapshot's filters, one tile each
    assert len(view.map_grid.tiles) == 6

    window.controller.run_event.emit(snapshot(4, 5))  # visible: drawn at once
    assert len(view.filter_grid.tiles) == 5 and "epoch 4" in view.run_label.text()


def test_hidden_curves_are_drawn_when_the_train_tab_is_shown(qtbot, window):
    curves = window.train_view.curves
    click_tab(qtbot, window, window.data_view)
    curves.add_epoch(1, {"loss": 0.9, "val_loss": 1.0, "accuracy": 0.6, "val_accuracy": 0.55}, True)
    curves.add_batch(2, 1, 4, 0.8, 0.65)
    qtbot.wait(600)  # past the redraw delay: a hidden panel skips it
    assert curves.epoch_points("loss") == []

    click_tab(qtbot, window, window.train_view)
    qtbot.waitUntil(lambda: curves.epoch_points("loss") == [(1.0, 0.9)], timeout=3000)
    assert curves.batch_points("loss", smoothed=False) == [(1.25, pytest.approx(0.8))]
    assert curves.best_lines[1].value() == 1

    # On screen: points arrive without anyone calling flush(), both plots.
    curves.add_epoch(2, {"loss": 0.5, "val_loss": 0.6, "accuracy": 0.8, "val_accuracy": 0.75}, True)
    qtbot.waitUntil(lambda: len(curves.epoch_points("val_accuracy")) == 2, timeout=3000)
    assert [y for _, y in curves.epoch_points("loss")] == [0.9, 0.5]
