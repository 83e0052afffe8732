"""The Evaluate tab on a thresholded heat-map head (manufacturing.surfaces): threshold, head maps, Grad-CAM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnstudio.app.runner import evaluate_run
from cnnstudio.core.evaluate.threshold import set_run_threshold
from cnnstudio.gui.tabs.evaluate.mistakes_gallery import HEAD_MAP
from tests.gui.gui_evaluate_helpers import click_cell, open_evaluation_view, shown_matrix, train_tiny_run


@pytest.fixture(scope="module")
def surfaces_run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("evaluate_heatmap"), dataset="manufacturing.surfaces")


def test_head_heat_map_overlay_and_threshold(qtbot, controller, surfaces_run):
    view = open_evaluation_view(qtbot, controller, surfaces_run)
    report = view.report
    assert report.heatmaps is not None and report.threshold is not None
    assert f"threshold {report.threshold:.2f}" in view.summary.text()
    assert "ROC AUC" in view.summary.text()
    click_cell(qtbot, view.confusion, 1, 1) if report.confusion[1][1] else click_cell(qtbot, view.confusion, 0, 0)
    gallery = view.gallery
    plain = gallery.tile_images()
    item = gallery.overlay_box.model().item(gallery.overlay_box.findText(HEAD_MAP))
    assert item.isEnabled()
    gallery.overlay_box.setCurrentText(HEAD_MAP)
    assert any(not np.array_equal(a, b) for a, b in zip(plain, gallery.tile_images()))


def test_a_new_threshold_is_evaluated_when_the_tab_is_shown_again(qtbot, controller, surfaces_run):
    view = open_evaluation_view(qtbot, controller, surfaces_run)
    first = view.report
    view.hide()
    set_run_threshold(surfaces_run, 0.999)  # the Threshold tab would do this; every image becomes "ok"
    view.show()
    qtbot.waitUntil(lambda: view.report is not None and view.report is not first, timeout=60_000)
    assert view.report.threshold == pytest.approx(0.999)
    assert shown_matrix(view.confusion) == evaluate_run(surfaces_run, split="val").confusion
