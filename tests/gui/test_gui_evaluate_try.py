"""Double-clicking an Evaluate gallery tile opens that image in Try an image, with the same run and decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from cnnstudio.gui.tabs.evaluate.mistakes_gallery import GAP
from tests.gui.gui_evaluate_helpers import train_tiny_run, wait_for_evaluation


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("evaluate_try"))


def test_double_clicking_a_tile_predicts_that_image_in_try_an_image(qtbot, window, tiny_run) -> None:
    view = window.evaluation_view
    window.tabs.setCurrentWidget(view)
    window.controller.run_opened.emit(str(tiny_run))
    wait_for_evaluation(qtbot, view)
    report, gallery = view.report, view.gallery
    assert gallery.positions, "the view opens on a cell with images"
    position = gallery.positions[0]
    assert "Double-click" in gallery.tooltips[0]

    canvas = gallery.canvas
    _, width, _ = canvas.cell()
    first_tile = QPoint(GAP + width // 2, GAP + gallery.tile_px // 2)
    with qtbot.waitSignal(window.predict_view.predicted, timeout=60_000) as shown:
        qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=first_tile)
    assert window.tabs.currentWidget() is window.predict_view
    entry = shown.args[0]
    assert "error" not in entry
    names = report.class_names
    assert entry["class"] == names[report.predicted[position]]
    assert list(entry["probabilities"].values()) == pytest.approx(list(report.probabilities[position]), abs=1e-5)
    predict = window.predict_view
    assert predict.run_dir == str(tiny_run)
    assert np.array_equal(predict.fitted, report.images[position].permute(1, 2, 0).numpy())
    assert f"true {names[report.labels[position]]}" in predict.file_label.text()
    assert "validation" in predict.file_label.text()
