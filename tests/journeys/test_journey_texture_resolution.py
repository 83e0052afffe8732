"""Journey: a folder of 128 px texture photos keeps its resolution: it loads at 128 px, Model input follows,
and choosing a smaller input makes the Model tab say what is lost and what keeping it costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from journey_driver import Studio
from PySide6.QtWidgets import QScrollArea
from user_photos import crops, photo

from cnnstudio.core.config import RunConfig


def texture_folder(root: Path, per_class: int = 10) -> Path:
    rng = np.random.default_rng(0)
    for class_name, source in (("gravel", "gravel"), ("grass", "grass")):
        (root / class_name).mkdir(parents=True)
        for index, image in enumerate(crops(photo(source), per_class, 160, rng, sizes=(128,))):
            image.save(root / class_name / f"{index:03d}.png")
    return root


def test_a_128_px_texture_folder_keeps_its_resolution_and_the_model_tab_prices_a_smaller_input(
        qtbot, monkeypatch, tmp_path):
    folder = texture_folder(tmp_path / "Textures 128")
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    studio.open_folder(folder)
    assert tuple(studio.controller.imageset.images.shape[-2:]) == (128, 128)  # not shrunk to 64
    assert window.dataset_panel.form.values()["size"] == "auto"

    model = studio.tab(window.model_view)
    assert model.form.input_size_spin.value() == 128
    note = model.form.loaded_size_note
    assert not note.isVisible()

    studio.type_into(model.form.input_size_spin, 64)
    studio.wait_for(note.isVisible)
    assert "shrunk again to 64 px" in note.text and "2.0x smaller, a 2 px scratch becomes 1.0 px" in note.text
    studio.wait_for(lambda: "x the compute per image" in note.text)
    scroll = note.parent()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parent()
    scroll.ensureWidgetVisible(note)  # scrolled to it, as a person reading the form would
    studio.snapshot("journey_texture_input_cost")

    studio.tab(window.model_view)
    studio.type_into(model.form.input_size_spin, 128)
    studio.wait_for(lambda: not note.isVisible())
    run_dir = Path(studio.train(epochs=1))
    config = RunConfig.load(run_dir / "config.toml")
    assert config.model.input_size == 128 and config.dataset.options["size"] == "auto"
    assert not studio.messages, studio.messages
