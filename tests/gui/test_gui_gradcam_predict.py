"""Try an image tab, Explain row: Grad-CAM replaces the overlay, matches core.gradcam, follows layer and class."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from gui_inspect_helpers import predict, shown_view, train_tiny, write_png

from cnnstudio.app.runner import load_run_model
from cnnstudio.core.evaluate.gradcam import grad_cam
from cnnstudio.gui.tabs.predict.explain_controls import GRADCAM, HEAD, NONE
from cnnstudio.gui.tabs.predict.predict_view import PredictView
from cnnstudio.gui.widgets.images import overlay_heatmap


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny("manufacturing.surfaces", tmp_path_factory.mktemp("gradcam_runs"))[0]


@pytest.fixture
def view(qtbot, controller):
    return shown_view(qtbot, PredictView, controller, (900, 420))


def explain(qtbot, view, **choice):
    with qtbot.waitSignal(view.explained, timeout=30_000):
        view.explain.choose(**choice)


def direct_grad_cam(run, fitted, layer, target):
    model = load_run_model(run).model
    batch = torch.as_tensor(fitted).permute(2, 0, 1)[None].float() / 255
    return grad_cam(model, batch, layer=layer, target=target)[0].numpy()


def test_gradcam_replaces_the_overlay_and_equals_grad_cam_on_the_same_input(qtbot, controller, view, run, tmp_path):
    controller.run_opened.emit(str(run))
    entry = predict(qtbot, view, write_png(tmp_path / "surface.png", size=(16, 16), seed=3))
    assert view.explain.mode() == HEAD  # the heat-map head's own map, as before
    assert [view.explain.mode_box.itemData(i) for i in range(view.explain.mode_box.count())] == [NONE, GRADCAM, HEAD]
    assert view.explain.layer() == "conv2" and view.explain.target() == entry["index"]
    before = view.overlay_label.pixmap().toImage()

    explain(qtbot, view, mode=GRADCAM)
    assert view.overlay_label.pixmap().toImage() != before
    expected = direct_grad_cam(run, view.fitted, "conv2", entry["index"])
    assert view.gradcam.shape == (16, 16)
    np.testing.assert_allclose(view.gradcam, expected, atol=1e-5)
    assert np.unravel_index(view.gradcam.argmax(), (16, 16)) == np.unravel_index(expected.argmax(), (16, 16))
    np.testing.assert_array_equal(view.overlay, overlay_heatmap(view.fitted, view.gradcam))
    assert f"Grad-CAM of '{entry['class']}' at conv2" in view.caption.text()
    assert view.error_label.text() == ""

    explain(qtbot, view, mode=NONE)
    assert view.overlay is None and view.gradcam is None and not view.overlay_label.isVisible()


def test_changing_the_layer_or_the_class_recomputes(qtbot, controller, view, run, tmp_path):
    controller.run_opened.emit(str(run))
    entry = predict(qtbot, view, write_png(tmp_path / "surface.png", size=(16, 16), seed=4))
    explain(qtbot, view, mode=GRADCAM)
    deep = view.gradcam.copy()
    assert view.explain.layer_box.isEnabled()
    explain(qtbot, view, layer="conv1")
    np.testing.assert_allclose(view.gradcam, direct_grad_cam(run, view.fitted, "conv1", entry["index"]), atol=1e-5)
    assert not np.allclose(view.gradcam, deep)
    assert "at conv1 (16x16 cells)" in view.caption.text()

    other = 1 - entry["index"]
    explain(qtbot, view, target=other)
    np.testing.assert_allclose(view.gradcam, direct_grad_cam(run, view.fitted, "conv1", other), atol=1e-5)
    assert f"'{list(entry['probabilities'])[other]}'" in view.caption.text()


def test_a_model_that_cannot_be_loaded_shows_a_message(qtbot, controller, view, run, tmp_path):
    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    shutil.rmtree(copy / "state")  # without the checkpoint's state, damaged weights cannot be rebuilt
    controller.run_opened.emit(str(copy))
    predict(qtbot, view, write_png(tmp_path / "surface.png", size=(16, 16), seed=5))
    (copy / "weights" / "best.safetensors").write_bytes(b"damaged")  # a newer file: the view reloads it
    explain(qtbot, view, mode=GRADCAM)
    message = view.error_label.text()
    assert message.startswith("Grad-CAM could not be computed") and str(copy) in message
    assert view.gradcam is None and view.caption.text() == ""
