"""The dataset's load size and the model's input size read as two settings, and the Model tab says when they differ."""

from __future__ import annotations

from gui_data_helpers import click_dataset, load_dataset
from gui_model_helpers import type_into
from PySide6.QtWidgets import QWidget


def caption_of(field: QWidget) -> str:
    """The text of the form label beside ``field``."""
    return field.parentWidget().layout().labelForField(field).text()


def test_the_two_sizes_have_distinct_labels_and_tooltips(window, qtbot) -> None:
    click_dataset(qtbot, window.dataset_panel, "retail.products")
    size_editor = window.dataset_panel.form.editors["size"]
    assert caption_of(size_editor) == "Load images at"
    assert size_editor.suffix() == " px" and "Model input" in size_editor.toolTip()

    input_spin = window.model_view.form.input_size_spin
    assert caption_of(input_spin) == "Model input"
    assert "Load images at" in input_spin.toolTip()


def test_the_model_tab_notes_images_loaded_smaller_than_the_model_input(window, qtbot) -> None:
    controller, form = window.controller, window.model_view.form
    window.tabs.setCurrentWidget(window.model_view)
    assert controller.config.model.input_size == 64
    load_dataset(qtbot, controller, window.dataset_panel, "retail.products", count=40, size=32)

    note = form.loaded_size_note
    qtbot.waitUntil(note.isVisible)
    assert "loaded at 32 px and enlarged again to 64 px" in note.text and "adds no detail" in note.text

    type_into(qtbot, form.input_size_spin, "32")
    qtbot.waitUntil(lambda: not note.isVisible())
    assert controller.config.model.input_size == 32

    type_into(qtbot, form.input_size_spin, "24")
    qtbot.waitUntil(note.isVisible)
    assert "loaded at 32 px and shrunk again to 24 px" in note.text
