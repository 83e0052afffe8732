"""Journey: a first launch with nothing of one's own at hand. The window wears the app icon, the Try an image
tab offers sample photos; one clicked before any model exists says to train first, and after a short
training the same click answers with the model's decision."""

from __future__ import annotations

from journey_driver import Studio
from PySide6.QtWidgets import QApplication, QMessageBox

from cnnstudio.gui.tabs.predict.predict_view import NO_RUN
from cnnstudio.resource_files import sample_images


def test_first_launch_shows_the_icon_and_sample_photos_that_can_be_tried(qtbot, monkeypatch, tmp_path):
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window
    assert not window.windowIcon().isNull()
    assert not studio.action("Train", "Start training").icon().isNull()

    # The Try tab: the sample photos are there before any image or model is.
    predict = studio.tab(window.predict_view)
    buttons = {button.toolTip().split(" (")[0].removeprefix("Try "): button for button in predict.samples.buttons}
    assert len(buttons) == len(sample_images()) and "coffee cup" in buttons
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.click(buttons["coffee cup"])
    assert answer.args[0]["error"] == NO_RUN
    assert "Train a model first" in predict.error_label.text()

    # A short training of the products dataset, then the same sample photo answers.
    studio.pick_dataset("retail.products", count=200)
    studio.train(epochs=1)
    studio.tab(predict)
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.click(buttons["coffee cup"])
    entry = answer.args[0]
    assert "error" not in entry, entry
    assert entry["class"] in ("shoe", "handbag") and f"Decision: {entry['class']}" in predict.decision_label.text()
    assert "coffee-cup.jpg" in predict.file_label.text() and predict.error_label.text() == ""
    studio.snapshot("journey_samples_try")
    assert not studio.messages, studio.messages
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
