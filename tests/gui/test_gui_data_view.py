"""The Data tab: class filter, mask and box overlays, the class chart, and a 10,000-image set staying lazy."""

from __future__ import annotations

import numpy as np
import torch
from gui_data_helpers import data_widgets, load_dataset
from PySide6.QtCore import Qt

from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.gui.tabs.data.data_view import DataView
from cnnstudio.gui.tabs.data.thumbnail_model import ImageIndexRole


def _pixels(view: DataView, row: int) -> np.ndarray:
    image = view.model.data(view.model.index(row), Qt.ItemDataRole.DecorationRole).toImage()
    return np.array([[image.pixel(x, y) for x in range(image.width())] for y in range(image.height())])


def _click(qtbot, box) -> None:
    before = box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert box.isChecked() != before


def test_class_filter_shows_only_that_class(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, "manufacturing.surfaces", count=100, size=16)
    counts = imageset.class_counts()
    assert [view.class_filter.itemText(i) for i in range(view.class_filter.count())] == [
        "All (100)", f"ok ({counts[0]})", f"defect ({counts[1]})"]
    view.class_filter.setCurrentIndex(2)
    assert view.model.rowCount() == counts[1] < 100
    names = {view.model.data(view.model.index(row)) for row in range(view.model.rowCount())}
    assert names == {"defect"}
    assert view.shown_label.text() == f"showing {counts[1]} of 100"
    view.set_class_filter(None)
    assert view.model.rowCount() == 100


def test_mask_toggle_tints_defects_and_boxes_stay_disabled(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, "manufacturing.surfaces", count=80, size=32)
    assert view.show_masks.isEnabled() and not view.show_boxes.isEnabled()
    masked = int(torch.nonzero(imageset.masks.flatten(1).sum(1) > 0)[0])
    clean = int(torch.nonzero(imageset.masks.flatten(1).sum(1) == 0)[0])
    before_masked, before_clean = _pixels(view, masked), _pixels(view, clean)
    _click(qtbot, view.show_masks)
    assert (_pixels(view, masked) != before_masked).any()
    assert (_pixels(view, clean) == before_clean).all()  # nothing to tint on a good part
    _click(qtbot, view.show_masks)
    assert (_pixels(view, masked) == before_masked).all()


def test_box_toggle_draws_boxes_on_logo_scenes(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, "marketing.logos", count=60, size=32)
    assert view.show_boxes.isEnabled() and not view.show_masks.isEnabled()
    with_box = next(i for i, boxes in enumerate(imageset.boxes) if len(boxes))
    before = _pixels(view, with_box)
    _click(qtbot, view.show_boxes)
    after = _pixels(view, with_box)
    yellow = (after & 0xFFFFFF) == 0xFFE600
    assert (after != before).any() and yellow.sum() > 10


def test_retail_has_no_overlays(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    load_dataset(qtbot, controller, panel, "retail.products", count=60, size=16)
    assert not view.show_masks.isEnabled() and not view.show_boxes.isEnabled()
    assert "no masks" in view.show_masks.toolTip()


def test_class_chart_has_a_bar_per_class_and_warns_when_imbalanced(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, "manufacturing.surfaces", count=120, size=16)
    assert view.chart.heights() == [float(c) for c in imageset.class_counts()]
    assert len(view.chart.heights()) == 2
    assert view.chart.warning.isVisible()
    assert "Imbalanced classes" in view.chart.warning.text() and "'defect'" in view.chart.warning.text()
    imageset = load_dataset(qtbot, controller, panel, "retail.products", count=100, size=16, classes="5")
    assert view.chart.heights() == [float(c) for c in imageset.class_counts()]
    assert len(view.chart.heights()) == 5
    assert not view.chart.warning.isVisible()


def test_tooltip_names_source_and_class(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, "documents.forgery", count=60, size=16)
    index = view.model.index(5)
    tip = view.model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert imageset.sources[5] in tip and imageset.class_names[int(imageset.labels[5])] in tip
    assert view.model.data(index, ImageIndexRole) == 5


def test_ten_thousand_images_make_only_a_screenful_of_pixmaps(qtbot, controller):
    view = DataView(controller)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (10_000, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.arange(10_000) % 3
    imageset = ImageSet(images=images, labels=labels, class_names=["a", "b", "c"], name="synthetic")
    view.show_dataset(None, imageset)
    qtbot.waitUntil(lambda: view.model.cached_pixmaps > 0)
    assert view.model.rowCount() == 10_000
    viewport, cell = view.grid.viewport().size(), view.grid.gridSize()
    screenful = (viewport.width() // cell.width() + 1) * (viewport.height() // cell.height() + 2)
    assert 0 < view.model.pixmaps_made <= screenful < 200
    assert view.model.cached_pixmaps <= screenful

    last = view.model.index(9_999)
    qtbot.waitUntil(lambda: view.grid.visualRect(last).isValid())  # the layout runs in batches between events
    made = view.model.pixmaps_made
    view.grid.verticalScrollBar().setValue(view.grid.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: view.model.pixmaps_made > made)
    assert view.grid.visualRect(last).intersects(view.grid.viewport().rect())
    assert view.model.pixmaps_made <= 3 * screenful  # the top and the bottom screen, nothing between
    assert view.chart.heights() == [3334.0, 3333.0, 3333.0]
    view.class_filter.setCurrentIndex(3)
    assert view.model.rowCount() == 3333


def test_overlays_cannot_be_forced_on_without_data(qtbot, controller):
    view = DataView(controller)
    qtbot.addWidget(view)
    imageset = ImageSet(images=torch.zeros(4, 3, 8, 8, dtype=torch.uint8), labels=torch.zeros(4), class_names=["x"])
    view.show_dataset(None, imageset)
    view.model.set_overlays(True, True)
    assert not view.model.show_masks and not view.model.show_boxes
    assert not view.show_masks.isEnabled() and not view.show_boxes.isEnabled()
    assert "4 images of 8 x 8 pixels" in view.summary.text()
