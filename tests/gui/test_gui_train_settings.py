"""The Train tab's settings form edits the run config, explains itself, and says why a bad setting cannot start."""

from __future__ import annotations

from gui_train_helpers import DialogCloser
from PySide6.QtCore import Qt


def test_editing_the_form_changes_the_config(qtbot, window, controller):
    window.tabs.setCurrentWidget(window.train_view)
    form = window.train_view.settings

    form.epochs.clear()
    qtbot.keyClicks(form.epochs, "7")
    qtbot.keyClick(form.epochs, Qt.Key.Key_Return)
    qtbot.mouseClick(form.augment_flip, Qt.MouseButton.LeftButton)
    form.optimizer.setCurrentText("sgd")
    form.seed.clear()
    qtbot.keyClicks(form.seed, "42")
    qtbot.keyClick(form.seed, Qt.Key.Key_Return)

    training = controller.config.training
    assert training.epochs == 7 and training.augment_flip is False and training.optimizer == "sgd"
    assert controller.config.seed == 42
    for widget in (form.epochs, form.lr, form.val_fraction, form.patience, form.class_balanced_loss):
        assert len(widget.toolTip()) > 60  # a sentence that teaches, not a label


def test_a_config_from_elsewhere_shows_in_the_form(qtbot, window, controller):
    from dataclasses import replace

    controller.set_config(replace(controller.config, training=replace(controller.config.training, lr=0.01, patience=3)))
    form = window.train_view.settings
    assert abs(form.lr.value() - 0.01) < 1e-9 and form.patience.value() == 3


def test_too_large_splits_are_named_and_cannot_start(qtbot, window, controller):
    window.tabs.setCurrentWidget(window.train_view)
    form = window.train_view.settings
    form.val_fraction.setValue(60)
    form.test_fraction.setValue(40)
    assert form.problem.isVisible()
    assert "training.val_fraction + training.test_fraction" in form.problem.text()

    closer = DialogCloser()
    try:
        qtbot.mouseClick(window.train_view.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(closer.texts))
    finally:
        closer.stop()
    assert "val_fraction" in closer.texts[0]
    assert controller.process is None and window.train_view.start_button.isEnabled()

    form.test_fraction.setValue(10)
    assert not form.problem.isVisible()
