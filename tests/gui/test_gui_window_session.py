"""The window remembers the last dataset, its options and the model and training settings."""

from __future__ import annotations

from dataclasses import replace

from cnnstudio.core.model.presets import apply_preset
from cnnstudio.gui.controller import StudioController
from cnnstudio.gui.main_window import MainWindow


def test_the_next_window_reopens_the_last_dataset_options_and_settings(qtbot, tmp_path, settings) -> None:
    first = StudioController(runs_root=tmp_path / "runs")
    window = MainWindow(first, settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(first.dataset_loaded, timeout=60_000):
        first.select_dataset("manufacturing.surfaces", {"count": 40, "size": 16})
    config = apply_preset(first.config, "seed-avgpool")
    first.set_config(replace(config, training=replace(config.training, epochs=7), head=replace(config.head, id="classification")))
    window.close()

    second = StudioController(runs_root=tmp_path / "runs")
    reopened = MainWindow(second, settings)
    qtbot.addWidget(reopened)
    with qtbot.waitSignal(second.dataset_loaded, timeout=60_000):
        reopened.start()
    assert second.spec.id == "manufacturing.surfaces" and len(second.imageset) == 40
    assert second.config.model.preset == "seed-avgpool" and second.config.training.epochs == 7
    assert second.config.head.id == "classification"
    reopened.close()
    second.shutdown()
