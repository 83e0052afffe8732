"""The Threshold tab on classification-head runs: a two-class one gets the studio, a five-class one an explanation."""

from __future__ import annotations

import numpy as np
import pytest
from gui_threshold_helpers import open_view, shown_counts
from PySide6.QtCore import Qt
from tiny_runs import train_tiny_run, validation_predictions

from cnnstudio.core.evaluate.threshold import run_threshold


@pytest.fixture(scope="module")
def five_class_run(tmp_path_factory):
    return train_tiny_run(tmp_path_factory.mktemp("threshold_five"), "retail.products", seed=1, count=160, size=32,
                          options={"classes": "5"})


@pytest.fixture(scope="module")
def two_class_run(tmp_path_factory):
    return train_tiny_run(tmp_path_factory.mktemp("threshold_two"), "retail.products", seed=1, count=160, size=32)


def test_a_five_class_run_shows_the_explanation(qtbot, controller, five_class_run) -> None:
    from cnnstudio.gui.tabs.threshold.threshold_view import ThresholdView

    view = ThresholdView(controller)
    qtbot.addWidget(view)
    view.show()
    controller.run_opened.emit(str(five_class_run))
    assert view.pages.currentWidget() is view.notice
    text = view.notice.text()
    assert "tells 5 classes apart" in text and "decides by the highest probability" in text
    assert "two-class runs" in text and five_class_run.name in text
    assert view.plots is None and not view.slider.isEnabled() and not view.save_button.isEnabled()


def test_a_two_class_classifier_gets_the_studio_and_predict_applies_its_saved_threshold(
        qtbot, controller, two_class_run) -> None:
    view = open_view(qtbot, controller, two_class_run)
    assert view.pages.currentWidget() is view.content
    assert view.class_names() == ("shoe", "handbag")
    assert view.value == pytest.approx(0.5) and run_threshold(two_class_run) == pytest.approx(0.5)
    view.recall_target.setValue(0.95)
    qtbot.mouseClick(view.recall_button, Qt.MouseButton.LeftButton)
    counted = shown_counts(view)
    with qtbot.waitSignal(controller.message, timeout=60_000):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    saved = run_threshold(two_class_run)
    assert saved == float(np.float32(view.value)) != pytest.approx(0.5)

    entries, positives = validation_predictions(two_class_run)
    decided = np.array([entry["index"] == 1 for entry in entries])
    scores = np.array([entry["score"] for entry in entries], dtype=np.float32)
    assert np.allclose(scores, [entry["probabilities"]["handbag"] for entry in entries], atol=1e-6)
    assert np.array_equal(decided, scores >= np.float32(saved))  # on every validation image
    assert np.array_equal(decided, view.scores >= np.float32(saved)) and np.array_equal(positives, view.positives)
    assert counted == {
        "tn": int((~decided & ~positives).sum()), "fp": int((decided & ~positives).sum()),
        "fn": int((~decided & positives).sum()), "tp": int((decided & positives).sum()),
    }


def test_without_a_run_the_view_says_what_to_do(qtbot, controller) -> None:
    from cnnstudio.gui.tabs.threshold.threshold_view import ThresholdView

    view = ThresholdView(controller)
    qtbot.addWidget(view)
    assert "Train a model first" in view.notice.text()
    assert view.pages.currentWidget() is view.notice
