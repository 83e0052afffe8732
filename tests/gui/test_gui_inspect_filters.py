"""Filters & feature maps tab: filters of an opened run, feature maps of any image, live Snapshot updates."""

from __future__ import annotations

import numpy as np
import pytest
from gui_inspect_helpers import shown_view, train_tiny
from PySide6.QtCore import Qt

from cnnstudio.core.events import Snapshot
from cnnstudio.gui.tabs.filters.filters_view import FiltersView


@pytest.fixture(scope="module")
def retail_run(tmp_path_factory):
    return train_tiny("retail.products", tmp_path_factory.mktemp("runs"))


@pytest.fixture
def view(qtbot, controller):
    return shown_view(qtbot, FiltersView, controller, (1000, 600))


def load_dataset(qtbot, controller):
    with qtbot.waitSignal(controller.dataset_loaded, timeout=30_000):
        controller.select_dataset("retail.products", {"count": 120, "size": 16})


def open_run(qtbot, view, controller, run_dir):
    with qtbot.waitSignal(view.cache.ready, timeout=30_000):
        controller.run_opened.emit(str(run_dir))
    qtbot.waitUntil(lambda: view.model is not None)


def test_opening_a_run_shows_one_tile_per_filter(qtbot, controller, view, retail_run):
    run_dir, _ = retail_run
    assert view.filter_grid.tiles == []
    open_run(qtbot, view, controller, run_dir)
    assert [view.layer_combo.itemText(i) for i in range(view.layer_combo.count())] == ["conv1", "conv2"]
    view.layer_combo.setCurrentText("conv1")
    assert len(view.filter_grid.tiles) == 4  # first layer: colour tiles, one per filter
    assert all(tile.shape == (3, 3, 3) and tile.dtype == np.uint8 for tile in view.filter_grid.tiles)
    assert not view.mode_combo.isEnabled()
    view.layer_combo.setCurrentText("conv2")
    assert len(view.filter_grid.tiles) == 6
    assert all(tile.shape == (3, 3, 3) for tile in view.filter_grid.tiles)
    assert all(np.all(tile[..., 0] == tile[..., 1]) for tile in view.filter_grid.tiles)  # grey
    view.mode_combo.setCurrentIndex(view.mode_combo.findData("channels"))
    assert len(view.filter_grid.tiles) == 6 * 4  # one row of 4 input channels per filter
    assert view.filter_grid.fixed_columns == 4
    # each filter normalised for display: its darkest weight is black and its brightest white
    assert view.filter_grid.tiles[0].max() == 255 or view.filter_grid.tiles[1].max() == 255


def test_feature_maps_of_any_dataset_image(qtbot, controller, view, retail_run):
    run_dir, _ = retail_run
    load_dataset(qtbot, controller)
    open_run(qtbot, view, controller, run_dir)
    assert view.current_source() == "dataset"
    view.layer_combo.setCurrentText("conv2")
    view.image_spin.setValue(7)
    qtbot.keyClick(view.image_spin, Qt.Key.Key_Up)  # step to the next image with the keyboard
    assert view.image_spin.value() == 8 and "image #8" in view.maps_info.text()
    tiles = view.map_grid.tiles
    assert len(tiles) == 6  # every channel of conv2
    assert all(tile.shape == (8, 8, 3) for tile in tiles)  # conv2 sees the 16 px input after one pooling
    assert view.map_grid.captions[:2] == ["ch 0", "ch 1"]
    first = [t.copy() for t in tiles]
    view.image_spin.setValue(30)
    assert any(not np.array_equal(a, b) for a, b in zip(first, view.map_grid.tiles))  # another image, other maps
    assert view.last_map_ms is not None and "computed in" in view.maps_info.text()


def test_a_snapshot_event_updates_the_gallery(qtbot, controller, view, retail_run):
    _, events = retail_run
    snapshot = [e for e in events if isinstance(e, Snapshot)][-1]
    controller.run_event.emit(snapshot)
    assert len(view.filter_grid.tiles) == snapshot.filters[view.current_layer()].shape[0]
    assert view.current_source() == "snapshot"
    view.layer_combo.setCurrentText("conv1")
    assert len(view.map_grid.tiles) == snapshot.feature_maps["conv1"].shape[1]
    before = [t.copy() for t in view.filter_grid.tiles]
    changed = Snapshot(snapshot.epoch + 1, {k: -v for k, v in snapshot.filters.items()},
                       snapshot.feature_maps, snapshot.images, snapshot.labels)
    controller.run_event.emit(changed)
    after = view.filter_grid.tiles
    assert len(after) == len(before)
    assert all(np.array_equal(a, 255 - b) for a, b in zip(after, before))  # negated weights, inverted tiles
    assert f"epoch {snapshot.epoch + 1}" in view.run_label.text()
