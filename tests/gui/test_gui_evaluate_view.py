"""The Evaluate tab: confusion matrix, per-class table, the clicked cell's gallery, Grad-CAM overlays, splits, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.app.runner import evaluate_run, load_run_model
from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, grad_cam
from cnnstudio.gui.tabs.evaluate.evaluation_view import NO_RUN, EvaluationView
from cnnstudio.gui.tabs.evaluate.mistakes_gallery import GRADCAM, HEAD_MAP, NO_OVERLAY
from tests.gui.gui_evaluate_helpers import click_cell, shown_matrix, train_tiny_run, wait_for_evaluation


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("evaluate_view"))


@pytest.fixture(scope="module")
def reference(tiny_run) -> dict:
    """What the core says, to compare the view against."""
    return {split: evaluate_run(tiny_run, split=split) for split in ("val", "test")}


@pytest.fixture
def view(qtbot, controller):
    widget = EvaluationView(controller)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    return widget


def open_run(qtbot, view, controller, run: Path) -> None:
    controller.run_opened.emit(str(run))
    view.show()
    wait_for_evaluation(qtbot, view)


def test_confusion_and_per_class_numbers_equal_evaluate_run(qtbot, view, controller, tiny_run, reference):
    open_run(qtbot, view, controller, tiny_run)
    expected = reference["val"]
    assert view.error == ""
    assert shown_matrix(view.confusion) == expected.confusion
    assert [view.confusion.horizontalHeaderItem(c).text() for c in range(2)] == ["said shoe", "said handbag"]
    for row, values in enumerate(expected.per_class):
        for key in ("precision", "recall", "f1", "support"):
            assert view.per_class.value(row, key) == pytest.approx(values[key])
    assert f"Accuracy {expected.accuracy:.1%}" in view.summary.text()
    assert tiny_run.name in view.run_label.text()
    tip = view.confusion.item(0, 1).toolTip()
    assert f"{expected.confusion[0][1]} 'shoe'" in tip and "called 'handbag'" in tip


def test_clicking_a_cell_shows_its_images_worst_first(qtbot, view, controller, tiny_run, reference):
    open_run(qtbot, view, controller, tiny_run)
    expected = reference["val"]
    cells = [(t, p) for t in range(2) for p in range(2) if expected.confusion[t][p]]
    off_diagonal = [cell for cell in cells if cell[0] != cell[1]]
    true_class, predicted_class = (off_diagonal or cells)[0]
    # Click another cell first so the gallery visibly changes with the click under test.
    other = next(cell for cell in cells if cell != (true_class, predicted_class))
    click_cell(qtbot, view.confusion, *other)
    click_cell(qtbot, view.confusion, true_class, predicted_class)
    gallery = view.gallery
    assert view.cell == (true_class, predicted_class)
    assert len(gallery.tile_images()) == expected.confusion[true_class][predicted_class]
    losses = [view.report.losses[p] for p in gallery.positions]
    assert losses == sorted(losses, reverse=True)
    assert [expected.losses[p] for p in gallery.positions] == pytest.approx(losses)
    assert all(view.report.labels[p] == true_class and view.report.predicted[p] == predicted_class
               for p in gallery.positions)
    names = view.report.class_names
    assert gallery.captions[0][0] == f"{names[true_class]} \u2192 {names[predicted_class]}"


def test_gradcam_overlay_changes_the_tiles_with_the_core_maps(qtbot, view, controller, tiny_run):
    open_run(qtbot, view, controller, tiny_run)
    gallery = view.gallery
    view.show_cell(1, 1)  # the diagonal of the second class: never empty after training on balanced data
    plain = gallery.tile_images()
    assert plain
    gallery.overlay_box.setCurrentText(GRADCAM)
    qtbot.waitUntil(lambda: all(p in gallery.maps for p in gallery.positions), timeout=60_000)
    with_cam = gallery.tile_images()
    assert len(with_cam) == len(plain)
    assert any(not np.array_equal(a, b) for a, b in zip(plain, with_cam))
    # The maps are the core's Grad-CAM of the decided class at the default (last conv) layer.
    model = load_run_model(tiny_run)
    assert gallery.layer_box.currentText() == default_gradcam_layer(model.model)
    positions = gallery.positions[:4]
    images = view.report.images[positions].float().div(255)
    target = torch.tensor([view.report.predicted[p] for p in positions])
    expected = grad_cam(model.model, images, target=target).numpy()
    assert np.allclose(np.stack([gallery.maps[p] for p in positions]), expected, atol=1e-4)
    # Back to no overlay: the plain images again; a classifier head has no heat map to offer.
    gallery.overlay_box.setCurrentText(NO_OVERLAY)
    assert all(np.array_equal(a, b) for a, b in zip(plain, gallery.tile_images()))
    head_item = gallery.overlay_box.model().item(gallery.overlay_box.findText(HEAD_MAP))
    assert not head_item.isEnabled()


def test_switching_to_the_test_split_evaluates_again(qtbot, view, controller, tiny_run, reference):
    open_run(qtbot, view, controller, tiny_run)
    view.split_box.setCurrentText("Test")
    assert "Evaluating" in view.status.text() and "test split" in view.status.text()
    wait_for_evaluation(qtbot, view, split="test")
    assert shown_matrix(view.confusion) == reference["test"].confusion
    assert view.per_class.value(0, "support") == reference["test"].per_class[0]["support"]
    assert f"{reference['test'].num_images} test images" in view.summary.text()


def test_a_hidden_view_waits_until_shown(qtbot, view, controller, tiny_run):
    started: list = []
    controller.evaluations.started.connect(lambda run, split: started.append((run, split)))
    controller.run_opened.emit(str(tiny_run))
    qtbot.wait(50)
    assert started == [] and view.report is None
    view.show()
    wait_for_evaluation(qtbot, view)
    assert started == [(str(tiny_run), "val")]


def test_without_runs_a_placeholder_then_the_newest_run(qtbot, view, controller, tiny_run):
    view.show()
    assert view.run_label.text() == NO_RUN
    assert view.confusion.rowCount() == 0
    other = EvaluationView(controller)
    qtbot.addWidget(other)
    controller.runs_root = tiny_run.parent  # a runs folder holding one run: it is shown without opening it
    other.show()
    wait_for_evaluation(qtbot, other)
    assert other.run_dir == str(tiny_run)


def test_an_unreadable_run_folder_shows_an_inline_message(qtbot, view, controller, tmp_path):
    broken = tmp_path / "broken-run"
    (broken / "weights").mkdir(parents=True)
    (broken / "config.toml").write_text("this is [not toml", encoding="utf-8")
    open_run(qtbot, view, controller, broken)
    assert view.report is None and view.error
    assert "Could not evaluate" in view.status.text()
    assert "broken-run" in view.status.text()
    assert view.confusion.rowCount() == 0 and view.gallery.tile_images() == []


def test_a_non_empty_cell_never_reads_as_zero_percent() -> None:
    from cnnstudio.gui.tabs.evaluate.confusion_table import cell_tooltip, share_text

    assert share_text(1, 1 / 200) == "<1%" and share_text(0, 0.0) == "0%" and share_text(3, 3 / 80) == "4%"
    assert "<1% of the 200 'shoe' images" in cell_tooltip(1, 200, "shoe", "handbag")
