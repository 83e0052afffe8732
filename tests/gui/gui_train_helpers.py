"""Helpers for the Train tab's tests: a tiny dataset and model, and a closer for the window's error dialogs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from cnnstudio.core.config import ConvLayer

TINY_DATASET = ("retail.products", {"count": 120, "size": 16})


def load_tiny(qtbot: Any, controller: Any) -> None:
    """Load retail.products at 120 images of 16x16 and wait for it."""
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset(*TINY_DATASET)


def use_tiny_model(controller: Any, epochs: int, batch_size: int = 32) -> None:
    """A 2-conv-layer model on 16x16 inputs, ``epochs`` epochs, one torch thread."""
    config = controller.config
    model = replace(config.model, input_size=16, conv_layers=[ConvLayer(8, pool=True), ConvLayer(8)])
    training = replace(config.training, epochs=epochs, batch_size=batch_size)
    controller.set_config(replace(config, model=model, training=training, threads=1))


HUGE_DATASET = ("retail.products", {"count": 1000, "size": 32})


def use_huge_model(controller: Any) -> None:
    """A deliberately huge model: 1,000 filters in conv2 on 80x80 images, batches of 16 (seconds each on
    this project's 2-core CPU; an epoch takes minutes; at 128 px the memory budget refuses it). Threads are
    left to the default."""
    config = controller.config
    model = replace(config.model, input_size=80, conv_layers=[ConvLayer(8), ConvLayer(1000, pool=True)])
    training = replace(config.training, epochs=2, batch_size=16)
    controller.set_config(replace(config, model=model, training=training, threads=0))


class DialogCloser:
    """Closes the modal message boxes the window opens for errors, keeping their text (a test cannot click them)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._close)
        self.timer.start()

    def _close(self) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox):
            self.texts.append(dialog.text())
            dialog.close()

    def stop(self) -> None:
        self.timer.stop()
