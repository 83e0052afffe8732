"""Helpers for the Model tab's tests: a shown ModelView, choosing combo items with the keyboard, waiting for summaries."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSpinBox

from cnnstudio.gui.tabs.model.model_view import ModelView

WAIT_MS = 30_000  # the first summary imports torch on the worker thread


def shown_model_view(qtbot, controller) -> ModelView:
    view = ModelView(controller)
    qtbot.addWidget(view)
    view.resize(1000, 760)
    view.show()
    qtbot.waitExposed(view)
    wait_for_summary(qtbot, view)
    return view


def wait_for_summary(qtbot, view: ModelView) -> None:
    """Wait until the summary on screen is the one for the current config."""
    qtbot.waitUntil(lambda: not view.worker.busy and view.summary_table.summary is not None, timeout=WAIT_MS)


def choose(qtbot, combo: QComboBox, data: str) -> None:
    """Pick the item holding ``data`` the way a keyboard user does: focus the closed combo, press Up/Down."""
    target = combo.findData(data)
    assert target >= 0, f"{data!r} is not in the combo: {[combo.itemData(i) for i in range(combo.count())]}"
    combo.setFocus()
    while combo.currentIndex() != target:
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)


def type_into(qtbot, spin: QSpinBox, text: str) -> None:
    """Select the spin box's text, type ``text`` and press Enter."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def combo_data(combo: QComboBox) -> list[str]:
    return [combo.itemData(i) for i in range(combo.count())]
