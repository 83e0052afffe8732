"""A folder keeps its images' own size: Model input follows it, and a smaller input says what it loses and costs."""

from __future__ import annotations

import numpy as np
from gui_model_helpers import shown_model_view, type_into, wait_for_summary
from PIL import Image


def write_texture_folder(root, side: int = 96, count: int = 6):
    rng = np.random.default_rng(0)
    for name in ("good", "scratched"):
        (root / name).mkdir(parents=True)
        for index in range(count):
            Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(root / name / f"{index}.png")
    return root


def test_model_input_follows_a_folder_loaded_at_its_own_size_then_notes_a_smaller_choice(qtbot, controller, tmp_path):
    view = shown_model_view(qtbot, controller)
    folder = write_texture_folder(tmp_path / "textures")
    assert controller.config.model.input_size == 64
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset(str(folder))
    assert controller.config.dataset.options["size"] == "auto"
    assert int(controller.imageset.images.shape[-1]) == 96
    assert controller.config.model.input_size == 96 and view.form.input_size_spin.value() == 96
    assert not view.form.loaded_size_note.isVisible()

    type_into(qtbot, view.form.input_size_spin, "48")
    assert controller.config.model.input_size == 48
    note = view.form.loaded_size_note
    qtbot.waitUntil(note.isVisible)
    assert "loaded at 96 px and shrunk again to 48 px" in note.text and "2.0x smaller" in note.text
    wait_for_summary(qtbot, view)
    qtbot.waitUntil(lambda: "x the compute per image" in note.text)
    # The recommended model has global pooling: compute and layer memory grow with the area, 4x.
    assert "at 4.0x the compute per image" in note.text


def test_a_folder_loaded_at_a_chosen_size_leaves_model_input_alone(qtbot, controller, tmp_path):
    shown_model_view(qtbot, controller)
    folder = write_texture_folder(tmp_path / "textures")
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset(str(folder), {"size": 80})
    assert int(controller.imageset.images.shape[-1]) == 80
    assert controller.config.model.input_size == 64
