"""The Train tab's "Log to TensorBoard" checkbox: sets training.tensorboard, or says how to install."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from cnnstudio.gui.controller import StudioController
from cnnstudio.gui.tabs.train.training_settings import TrainingSettings


@pytest.fixture
def controller(qtbot, tmp_path):
    studio = StudioController(runs_root=tmp_path / "workspace")
    yield studio
    studio.shutdown()


def make_form(qtbot, controller) -> TrainingSettings:
    form = TrainingSettings(controller)
    qtbot.addWidget(form)
    form.show()
    return form


def test_ticking_the_box_turns_tensorboard_on_and_the_tip_names_the_command(qtbot, controller, tmp_path):
    form = make_form(qtbot, controller)
    box = form.tensorboard
    assert box.isEnabled() and not box.isChecked() and controller.config.training.tensorboard is False
    tip = box.toolTip()
    assert "RUN_DIR/tensorboard" in tip and f"tensorboard --logdir {tmp_path / 'workspace'}" in tip
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + box.rect().center() / 4)
    assert controller.config.training.tensorboard is True
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + box.rect().center() / 4)
    assert controller.config.training.tensorboard is False


def test_a_config_with_tensorboard_on_shows_ticked(qtbot, controller):
    from dataclasses import replace

    form = make_form(qtbot, controller)
    config = controller.config
    controller.set_config(replace(config, training=replace(config.training, tensorboard=True)))
    assert form.tensorboard.isChecked()


def test_without_tensorboard_the_box_is_disabled_and_says_how_to_install(qtbot, controller, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed
    form = make_form(qtbot, controller)
    assert not form.tensorboard.isEnabled()
    assert "pip install tensorboard" in form.tensorboard.toolTip()
