"""The Label tab's class list: each class with its colour, number key and count, and the status buttons.

Clicking a class (or pressing its number key) labels the shown image, or the
selected thumbnails, with it; for boxes and masks it is the class the next
box or brush stroke gets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.labels.label_set import LabelSet

NameRole = Qt.ItemDataRole.UserRole


def swatch(colour: str, side: int = 14) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ClassPanel(QWidget):
    """Classes with colours and counts; add, rename, recolour; skip, unsure, good, accept."""

    class_clicked = Signal(str)  # class name
    add_requested = Signal(str)  # new class name
    rename_requested = Signal(str, str)  # old, new
    colour_requested = Signal(str, str)  # class name, '#rrggbb'
    status_requested = Signal(str)  # "skip" | "unsure" | "good" | "nothing" | "accept" | "clear"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # number keys and arrows belong to the tab
        self.list.itemClicked.connect(lambda item: self.class_clicked.emit(item.data(NameRole)))
        self.list.itemDoubleClicked.connect(lambda item: self.ask_rename(item.data(NameRole)))
        self.list.setToolTip("Click a class, or press its number key, to label the image (or the selected "
                             "thumbnails). Double-click to rename.")
        self.add_button = self._button("Add class...", "Make a new class (Ctrl+N)", self.ask_add)
        self.rename_button = self._button("Rename...", "Rename the selected class everywhere it is used",
                                          lambda: self.ask_rename(self.current_class()))
        self.colour_button = self._button("Colour...", "Pick the colour the class is drawn in", self.ask_colour)
        self.progress = QLabel(self)
        self.progress.setWordWrap(True)
        self.skip_button = self._status("Skip (S)", "skip", "Leave this image out of training: blurred, "
                                        "wrong subject, a duplicate.")
        self.unsure_button = self._status("Unsure (U)", "unsure", "Come back to it later: the Unsure filter finds "
                                          "it. Unsure images are not trained on; a wrong label hurts more than a "
                                          "missing one.")
        self.good_button = self._status("Good: no defect (G)", "good", "This part has no defect: it is labelled "
                                        "good and its mask is cleared.")
        self.nothing_button = self._status("No objects (N)", "nothing", "Nothing to box on this image: it is "
                                           "labelled as background, which teaches the model what is not an object.")
        self.accept_button = self._status("Accept suggestion (Enter)", "accept", "Keep the model's suggestion as "
                                          "the label. Correct it first if it is wrong.")
        self.clear_button = self._status("Clear label", "clear", "Make the image unlabelled again.")

        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.colour_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Classes</b>"))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        for button in (self.good_button, self.nothing_button, self.skip_button, self.unsure_button,
                       self.accept_button, self.clear_button):
            layout.addWidget(button)

    def _button(self, text: str, tip: str, slot) -> QPushButton:  # noqa: ANN001 - a Qt slot
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _status(self, text: str, status: str, tip: str) -> QPushButton:
        return self._button(text, tip, lambda: self.status_requested.emit(status))

    def show_classes(self, labels: LabelSet, current: str | None) -> None:
        """List the classes with their number keys and counts, and the progress in words."""
        counts = labels.progress()
        self.list.clear()
        for number, item in enumerate(labels.classes, start=1):
            key = f"{number}  " if number <= 9 else "    "
            what = "boxes" if labels.kind == "boxes" else "images"
            row = QListWidgetItem(swatch(item.colour), f"{key}{item.name}   ({counts.get(item.name, 0)} {what})")
            row.setData(NameRole, item.name)
            self.list.addItem(row)
            if item.name == current:
                self.list.setCurrentItem(row)
        labelled = len(labels.images) - counts["unlabelled"] - counts["skip"] - counts["unsure"]
        extra = ", ".join(f"{counts[s]} {s}" for s in ("skip", "unsure") if counts[s])
        self.progress.setText(f"{labelled} of {len(labels.images)} images labelled"
                              f"{', ' + extra if extra else ''}; {counts['unlabelled']} to go.")
        self.good_button.setVisible(labels.kind == "masks")
        self.nothing_button.setVisible(labels.kind == "boxes")
        for button in (self.rename_button, self.colour_button):
            button.setEnabled(bool(labels.classes))

    def current_class(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NameRole) if item is not None else None

    def ask_add(self) -> None:
        name, ok = QInputDialog.getText(self, "Add class", "Name of the new class (it becomes a folder name):")
        if ok and name.strip():
            self.add_requested.emit(name.strip())

    def ask_rename(self, old: str | None) -> None:
        if not old:
            return
        name, ok = QInputDialog.getText(self, "Rename class", f"New name for {old!r}:", text=old)
        if ok and name.strip() and name.strip() != old:
            self.rename_requested.emit(old, name.strip())

    def ask_colour(self) -> None:
        name = self.current_class()
        if not name:
            return
        chosen = QColorDialog.getColor(parent=self, title=f"Colour of {name}")
        if chosen.isValid():
            self.colour_requested.emit(name, chosen.name())
