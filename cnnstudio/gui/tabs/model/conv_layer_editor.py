"""ConvLayerEditor: a table of the backbone's conv layers (filters, kernel, padding, pool after) with add/remove/reorder."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.config import ConvLayer
from cnnstudio.gui.tabs.model import model_hints

# The GUI caps filters below the config's 4096: past a few hundred a small model is a mistake (advice says so).
MAX_FILTERS = 1024
MAX_KERNEL = 15
COLUMNS = ("Filters", "Kernel", "Padding", "Pool after")
COLUMN_TIPS = (model_hints.FILTERS, model_hints.KERNEL, model_hints.PADDING, model_hints.POOL_AFTER)


class ConvLayerEditor(QWidget):
    """One row per conv layer; every edit emits ``layers_edited`` with the new list of ConvLayer."""

    layers_edited = Signal(list)  # list[ConvLayer]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers: list[ConvLayer] = []
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.verticalHeader().defaultSectionSize() + 6)
        self.table.setToolTip(model_hints.CONV_LAYERS)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton("Add", self)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Move up", self)
        self.down_button = QPushButton("Move down", self)
        self.add_button.setToolTip("Add a conv layer after the selected one (or at the end).")
        self.remove_button.setToolTip("Remove the selected conv layer (or the last one).")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._update_buttons()

    # ---- public -----------------------------------------------------------------
    @property
    def layers(self) -> list[ConvLayer]:
        return list(self._layers)

    def set_layers(self, layers: list[ConvLayer]) -> None:
        """Show ``layers`` (from the config); a no-op when they are what the table shows, so typing is not interrupted."""
        if list(layers) == self._layers and self.table.rowCount() == len(layers):
            return
        selected = self.selected_row()
        self._layers = list(layers)
        self._rebuild(selected)

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.table.rowCount():
            self.table.selectRow(row)

    def cell(self, row: int, column: str) -> QWidget:
        """The editing widget of one cell: a QSpinBox, or the QCheckBox of "Pool after"."""
        widget = self.table.cellWidget(row, COLUMNS.index(column))
        return widget.findChild(QCheckBox) if column == "Pool after" else widget

    def mark_rows(self, messages: dict[int, tuple[str, str]]) -> None:
        """Put a warning/error icon and tooltip on the rows advice names: row -> (severity, text)."""
        style = self.style()
        for row in range(self.table.rowCount()):
            item = QTableWidgetItem(f"conv{row + 1}")
            if row in messages:
                severity, text = messages[row]
                pixmap = (QStyle.StandardPixmap.SP_MessageBoxCritical if severity == "error"
                          else QStyle.StandardPixmap.SP_MessageBoxWarning)
                item.setIcon(style.standardIcon(pixmap))
                item.setToolTip(text)
            self.table.setVerticalHeaderItem(row, item)

    # ---- building the rows ------------------------------------------------------
    def _rebuild(self, selected: int) -> None:
        self.table.setRowCount(len(self._layers))
        for row, layer in enumerate(self._layers):
            self.table.setVerticalHeaderItem(row, QTableWidgetItem(f"conv{row + 1}"))
            filters = self._spin(1, MAX_FILTERS, layer.out_channels, model_hints.FILTERS)
            kernel = self._spin(1, MAX_KERNEL, layer.kernel, model_hints.KERNEL, step=2)
            padding = self._spin(-1, 7, layer.padding, model_hints.PADDING)
            padding.setSpecialValueText("same")
            filters.valueChanged.connect(lambda value, r=row: self._edit(r, out_channels=value))
            kernel.valueChanged.connect(lambda value, r=row: self._edit(r, kernel=value))
            padding.valueChanged.connect(lambda value, r=row: self._edit(r, padding=value))
            pool = QCheckBox(self.table)
            pool.setChecked(layer.pool)
            pool.setToolTip(model_hints.POOL_AFTER)
            pool.toggled.connect(lambda checked, r=row: self._edit(r, pool=checked))
            holder = QWidget(self.table)
            centred = QHBoxLayout(holder)
            centred.setContentsMargins(0, 0, 0, 0)
            centred.setAlignment(Qt.AlignmentFlag.AlignCenter)
            centred.addWidget(pool)
            for column, widget in enumerate((filters, kernel, padding, holder)):
                self.table.setCellWidget(row, column, widget)
        shown = min(max(len(self._layers), 3), 8)  # grow with the layers, scroll past eight
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setMinimumHeight(header + shown * self.table.verticalHeader().defaultSectionSize() + 4)
        self.select_row(min(selected, len(self._layers) - 1))
        self._update_buttons()

    def _spin(self, low: int, high: int, value: int, tip: str, step: int = 1) -> QSpinBox:
        spin = QSpinBox(self.table)
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setValue(max(low, min(high, value)))
        spin.setKeyboardTracking(False)  # one edit per Enter/arrow, not per digit typed
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        spin.setToolTip(tip)
        return spin

    # ---- edits ------------------------------------------------------------------
    def _edit(self, row: int, **changes: object) -> None:
        if row < len(self._layers):
            self._layers[row] = replace(self._layers[row], **changes)
            self.select_row(row)
            self.layers_edited.emit(self.layers)

    def _add(self) -> None:
        row = self.selected_row()
        at = row + 1 if row >= 0 else len(self._layers)
        channels = self._layers[at - 1].out_channels if at > 0 else 16
        self._layers.insert(at, ConvLayer(channels, kernel=3, padding=-1, pool=False))
        self._rebuild(at)
        self.layers_edited.emit(self.layers)

    def _remove(self) -> None:
        if len(self._layers) <= 1:
            return  # a model needs at least one conv layer (the button is disabled then)
        row = self.selected_row()
        row = row if row >= 0 else len(self._layers) - 1
        del self._layers[row]
        self._rebuild(min(row, len(self._layers) - 1))
        self.layers_edited.emit(self.layers)

    def _move(self, step: int) -> None:
        row = self.selected_row()
        target = row + step
        if row < 0 or not 0 <= target < len(self._layers):
            return
        self._layers[row], self._layers[target] = self._layers[target], self._layers[row]
        self._rebuild(target)
        self.layers_edited.emit(self.layers)

    def _update_buttons(self) -> None:
        row = self.selected_row()
        count = len(self._layers)
        self.remove_button.setEnabled(count > 1)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
