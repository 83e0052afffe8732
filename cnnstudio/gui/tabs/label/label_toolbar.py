"""The Label tab's tool row: label kind, drawing tools, brush size, zoom, undo/redo, filter, suggest and save."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.tabs.label.image_strip import FILTERS

# Tool id -> (button text, shortcut, tooltip); which tools a kind offers is in TOOLS_BY_KIND.
TOOLS = {
    "view": ("Pan", "V", "Pan and zoom only (V). Middle-drag or Space+drag pans with any tool; Ctrl+wheel zooms."),
    "box": ("Box", "B", "Draw a box by dragging (B); drag a box to move it, its corners to resize, Delete removes it; "
                        "a number key gives the selected box that class. Box the whole object, tightly: "
                        "loose boxes teach loose boxes."),
    "brush": ("Brush", "P", "Paint the defect (P); [ and ] change the size. Paint exactly the defect: the model "
                            "learns the pixels you paint."),
    "eraser": ("Eraser", "E", "Erase painted pixels (E)."),
    "lasso": ("Lasso", "L", "Click the corners of a region (or drag around it) and release or press Enter to fill "
                            "it (L); Escape cancels."),
}
TOOLS_BY_KIND = {"classes": ("view",), "boxes": ("box", "view"), "masks": ("brush", "eraser", "lasso", "view")}
# Layout id -> what the save box says; "label-file" writes only the folder's label file.
LAYOUTS = {
    "label-file": "Label file only (cnnstudio-labels.json; nothing else changes)",
    "class-folders": "Class folders (labelled-class-folders/CLASS/)",
    "yolo": "YOLO (labelled-yolo/images, labels, data.yaml)",
    "mvtec": "MVTec-AD (labelled-mvtec/train, test, ground_truth)",
}
LAYOUT_BY_KIND = {"classes": ("label-file", "class-folders"), "boxes": ("label-file", "yolo"),
                  "masks": ("label-file", "mvtec")}


class LabelToolbar(QWidget):
    """Controls above the canvas; the tab connects their signals."""

    kind_chosen = Signal(str)  # label kind id
    tool_chosen = Signal(str)  # tool id
    filter_chosen = Signal(str)  # filter id or class name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox(self)
        self.kind.setToolTip("What you label: one class per image, boxes around objects, or painted defect masks. "
                             "Plugins can add kinds (a signature region for documents).")
        self.kind.activated.connect(lambda _index: self.kind_chosen.emit(self.kind.currentData()))
        self.tool_group = QButtonGroup(self)
        self.tool_group.setExclusive(True)
        self.tool_buttons: dict[str, QToolButton] = {}
        tools = QHBoxLayout()
        for tool, (text, _key, tip) in TOOLS.items():
            button = QToolButton(self)
            button.setText(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _checked=False, tool=tool: self.tool_chosen.emit(tool))
            self.tool_group.addButton(button)
            self.tool_buttons[tool] = button
            tools.addWidget(button)
        self.brush_size = QSpinBox(self)
        self.brush_size.setRange(1, 400)
        self.brush_size.setValue(24)
        self.brush_size.setSuffix(" px")
        self.brush_size.setToolTip("Brush size in pixels of the photo ([ smaller, ] larger)")
        self.undo = self._button("Undo", "Undo the last change (Ctrl+Z)")
        self.redo = self._button("Redo", "Redo (Ctrl+Shift+Z or Ctrl+Y)")
        self.fit = self._button("Fit", "Fit the photo to the view (F); + and - zoom")
        self.filter = QComboBox(self)
        self.filter.setToolTip("Show only some images: the unlabelled ones, the model's suggestions, one class...")
        self.filter.activated.connect(lambda _index: self.filter_chosen.emit(self.filter.currentData()))
        self.suggest = self._button("Suggest labels", "Let the current run pre-label the unlabelled images, most "
                                    "uncertain first: accept (Enter) or correct each. Labelling what the model is "
                                    "unsure of teaches it the most.")
        self.layout_box = QComboBox(self)
        self.layout_box.setToolTip("Save as: the layout labels are saved in besides the label file. Your photos are never "
                                   "moved or changed: layouts link or copy them.")
        self.save = self._button("Save", "Save the labels now in the chosen layout (they are also saved to the "
                                 "label file as you go)")
        self.save_elsewhere = self._button("Save elsewhere...", "Write the labelled images and their labels "
                                           "to a folder you choose (for a folder you cannot write to)")
        for box, letters in ((self.kind, 15), (self.filter, 8), (self.layout_box, 12)):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(letters)
        drawing = QHBoxLayout()
        drawing.addWidget(QLabel("Label:"))
        drawing.addWidget(self.kind)
        drawing.addLayout(tools)
        drawing.addWidget(self.brush_size)
        for widget in (self.undo, self.redo, self.fit):
            drawing.addWidget(widget)
        drawing.addStretch(1)
        showing = QHBoxLayout()
        showing.addWidget(QLabel("Show:"))
        showing.addWidget(self.filter)
        showing.addWidget(self.suggest)
        showing.addStretch(1)
        showing.addWidget(self.layout_box)
        showing.addWidget(self.save)
        showing.addWidget(self.save_elsewhere)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(drawing)
        rows.addLayout(showing)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def show_kinds(self, kinds: list[tuple[str, str, str]], current: str) -> None:
        """Fill the kind box with (id, title, hint) and select ``current``."""
        self.kind.blockSignals(True)
        self.kind.clear()
        for kind_id, title, hint in kinds:
            self.kind.addItem(title, kind_id)
            self.kind.setItemData(self.kind.count() - 1, hint, Qt.ItemDataRole.ToolTipRole)
        self.kind.setCurrentIndex(max(0, self.kind.findData(current)))
        self.kind.blockSignals(False)

    def show_tools(self, kind: str, tool: str) -> None:
        for name, button in self.tool_buttons.items():
            button.setVisible(name in TOOLS_BY_KIND[kind])
            button.setChecked(name == tool)
        self.brush_size.setVisible(kind == "masks")
        self.layout_box.clear()
        for layout in LAYOUT_BY_KIND[kind]:
            self.layout_box.addItem(LAYOUTS[layout], layout)

    def show_filters(self, class_names: list[str], current: str) -> None:
        self.filter.clear()
        for filter_id, title in FILTERS.items():
            self.filter.addItem(title, filter_id)
        for name in class_names:
            self.filter.addItem(f"Class: {name}", name)
        self.filter.setCurrentIndex(max(0, self.filter.findData(current)))
