"""A run of the boxes head (every object): Try an image and the Evaluate gallery draw every box with its score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tiny_runs
from gui_inspect_helpers import predict, shown_view
from PIL import Image

from cnnstudio.core.evaluate.threshold import set_run_threshold
from cnnstudio.gui.tabs.predict.explain_controls import HEAD
from cnnstudio.gui.tabs.predict.predict_view import PredictView
from cnnstudio.gui.widgets.box_overlay import STRONG
from tests.gui.gui_evaluate_helpers import click_cell, open_evaluation_view

# Low enough that the few-epoch model's boxes count: the drawing is under test, not the model.
LOW_THRESHOLD = 0.06


@pytest.fixture(scope="module")
def boxes_run(tmp_path_factory) -> Path:
    """marketing.logos at 32 px, three epochs with the boxes head, its threshold set low."""
    run = tiny_runs.train_tiny_run(tmp_path_factory.mktemp("every_box_gui"), "marketing.logos", seed=1, count=160,
                                   size=32, epochs=3, test_fraction=0.2, cli_args=("--head", "boxes"))
    set_run_threshold(run, LOW_THRESHOLD)
    return run


def strong_pixels(image) -> int:
    """Pixels of a QImage in the colour of boxes at or above the threshold."""
    image = image.convertToFormat(image.Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = pixels[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    colour = (STRONG.red(), STRONG.green(), STRONG.blue())
    return int((np.abs(rgb - np.array(colour)).sum(axis=2) < 10).sum())


def test_try_an_image_draws_every_box_with_its_score(qtbot, controller, boxes_run, tmp_path):
    view = shown_view(qtbot, PredictView, controller, (900, 420))
    controller.run_opened.emit(str(boxes_run))
    path = tmp_path / "scene.png"
    picture = Image.new("RGB", (64, 48), (215, 210, 200))
    picture.paste((25, 25, 25), (6, 6, 22, 22))
    picture.paste((25, 25, 25), (40, 24, 58, 42))
    picture.save(path)
    entry = predict(qtbot, view, path)
    assert "error" not in entry, entry
    assert view.explain.mode() == HEAD
    strong = [b for b in entry["boxes"] if b["score"] >= LOW_THRESHOLD]
    assert view.overlay_title.text() == f"Boxes: {len(strong)} at or above the threshold"
    drawn = view.overlay_label.pixmap().toImage()
    assert strong and strong_pixels(drawn) > 0
    assert "dashed yellow" in view.caption.text()


def test_the_evaluate_gallery_draws_the_boxes_and_counts_them(qtbot, controller, boxes_run):
    view = open_evaluation_view(qtbot, controller, boxes_run)
    report = view.report
    assert report.detections is not None and len(report.detections) == report.num_images
    assert report.threshold == pytest.approx(LOW_THRESHOLD)
    row, column = next((r, c) for r in (1, 0) for c in (1, 0) if report.confusion[r][c])
    click_cell(qtbot, view.confusion, row, column)
    gallery = view.gallery
    assert gallery.images and len(gallery.images) == len(gallery.positions)
    assert any(b["score"] >= LOW_THRESHOLD for p in gallery.positions for b in report.detections[p])
    for image, caption, position in zip(gallery.images, gallery.captions, gallery.positions):
        strong = [b for b in report.detections[position] if b["score"] >= LOW_THRESHOLD]
        assert caption[-1].endswith(f", {len(strong)} box{'' if len(strong) == 1 else 'es'}")
        assert image.width() == gallery.tile_px
        assert (strong_pixels(image) > 0) == bool(strong)
