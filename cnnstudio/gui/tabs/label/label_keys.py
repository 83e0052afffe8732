"""The Label tab's keys: one table, so the Keyboard shortcuts help and the code agree.

Shortcuts work anywhere in the window while the Label tab is shown (wherever
the focus went after a click on a button or the tab bar), and are switched off
while it is hidden, so every other tab keeps its keys. A focused text or spin
box still takes the digits typed into it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

if TYPE_CHECKING:
    from cnnstudio.gui.tabs.label.label_view import LabelView

# (keys, what it does in words, how the view does it)
LABEL_KEYS: list[tuple[tuple[str, ...], str, str]] = [
    (("Right", "D", "PgDown"), "Next image", "go:1"),
    (("Left", "A", "PgUp"), "Previous image", "go:-1"),
    (("1", "2", "3", "4", "5", "6", "7", "8", "9"), "Label with class 1-9 (boxes: the class to draw)", "class"),
    (("S",), "Skip the image (not trained on)", "mark:skip"),
    (("U",), "Unsure: come back later", "mark:unsure"),
    (("G",), "Good: no defect (masks)", "mark:good"),
    (("N",), "No objects on this image (boxes)", "mark:nothing"),
    (("C",), "Copy the previous image's boxes onto this one", "copy_boxes"),
    (("Return", "Enter"), "Accept the model's suggestion", "mark:accept"),
    (("Ctrl+Z",), "Undo", "undo"),
    (("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "redo"),
    (("Ctrl+N",), "Add a class", "add_class"),
    (("V",), "Pan tool", "tool:view"),
    (("B",), "Box tool", "tool:box"),
    (("P",), "Brush tool", "tool:brush"),
    (("E",), "Eraser tool", "tool:eraser"),
    (("L",), "Lasso tool", "tool:lasso"),
    (("[",), "Smaller brush", "brush:-"),
    (("]",), "Larger brush", "brush:+"),
    (("+", "="), "Zoom in", "zoom:in"),
    (("-",), "Zoom out", "zoom:out"),
    (("F",), "Fit the photo to the view", "zoom:fit"),
]


def install_label_keys(view: LabelView) -> list[QShortcut]:
    """Make every key of LABEL_KEYS work on ``view``; returns the shortcuts."""
    made = []
    for keys, _what, action in LABEL_KEYS:
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), view)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)  # LabelView switches them on while it is shown
            shortcut.activated.connect(lambda action=action, key=key: _run(view, action, key))
            made.append(shortcut)
    return made


def _run(view: LabelView, action: str, key: str) -> None:
    verb, _, argument = action.partition(":")
    if verb == "go":
        view.go(int(argument))
    elif verb == "class":
        view.use_class_number(int(key))
    elif verb == "mark":
        if argument == "accept" and view.canvas.close_lasso():
            return  # Enter closes a lasso being drawn
        view.mark(argument)
    elif verb == "copy_boxes":
        view.copy_previous_boxes()
    elif verb == "undo":
        view.undo()
    elif verb == "redo":
        view.redo()
    elif verb == "add_class":
        view.classes.ask_add()
    elif verb == "tool":
        view.choose_tool(argument)
    elif verb == "brush":
        size = view.toolbar.brush_size
        size.setValue(max(1, round(size.value() / 1.25)) if argument == "-" else round(size.value() * 1.25) + 1)
    elif verb == "zoom":
        {"in": view.canvas.zoom_in, "out": view.canvas.zoom_out, "fit": view.canvas.zoom_fit}[argument]()
