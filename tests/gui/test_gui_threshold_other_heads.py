"""The Threshold tab explains, instead of drawing empty plots, when a run's head has no threshold."""

from __future__ import annotations

import pytest
from gui_threshold_helpers import train_with_cli


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory):
    return train_with_cli(tmp_path_factory.mktemp("threshold_classification"), "retail.products")


def test_a_classification_head_run_shows_the_explanation(qtbot, controller, classification_run) -> None:
    from cnnstudio.gui.threshold_view import ThresholdView

    view = ThresholdView(controller)
    qtbot.addWidget(view)
    view.show()
    controller.run_opened.emit(str(classification_run))
    assert view.pages.currentWidget() is view.notice
    text = view.notice.text()
    assert "decides by the highest probability" in text and "heatmap head" in text
    assert classification_run.name in text
    assert view.plots is None and not view.slider.isEnabled() and not view.save_button.isEnabled()


def test_without_a_run_the_view_says_what_to_do(qtbot, controller) -> None:
    from cnnstudio.gui.threshold_view import ThresholdView

    view = ThresholdView(controller)
    qtbot.addWidget(view)
    assert "Train a model first" in view.notice.text()
    assert view.pages.currentWidget() is view.notice
