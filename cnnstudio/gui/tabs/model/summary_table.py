"""SummaryTable: the model's layers for one image (output shape, parameters, FLOPs, memory) with totals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from cnnstudio.gui.tabs.model import model_hints
from cnnstudio.gui.widgets import palette

COLUMNS = ("Layer", "Kind", "Output", "Parameters", "FLOPs", "Memory")
BYTES_PER_VALUE = 4  # float32, as core.summary counts
_NUMERIC = {3, 4, 5}
_ERROR_COLOUR = QColor(palette.ERROR)


def format_count(value: int) -> str:
    """12345 -> "12,345"."""
    return f"{value:,}"


def format_si(value: int) -> str:
    """FLOPs with a unit: 1234567 -> "1.23M"."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return str(value)


def format_bytes(value: int) -> str:
    """Bytes with a binary unit: 16384 -> "16.0 KiB"."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def format_shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(d) for d in shape)


class SummaryTable(QTableWidget):
    """Rows of a ``cnnstudio.core.model.summary.ModelSummary``: an input row, every layer, then a bold total."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(70)
        for column in _NUMERIC:
            self.horizontalHeaderItem(column).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setToolTip(model_hints.SUMMARY)
        self.summary: Any = None

    @property
    def layer_rows(self) -> int:
        """Rows that are model layers (not the input and total rows)."""
        return max(self.rowCount() - 2, 0)

    def show_summary(self, summary: Any) -> None:
        """Fill the table from a ModelSummary; a layer whose map shrank to nothing is shown in red."""
        self.summary = summary
        size = summary.input_size
        rows = [("input", "", format_shape((3, size, size)), "", "", format_bytes(3 * size * size * BYTES_PER_VALUE), False)]
        for row in summary.rows:
            collapsed = any(d <= 0 for d in row.output_shape)
            rows.append((row.name, row.kind, format_shape(row.output_shape), format_count(row.params),
                         format_si(row.flops), format_bytes(row.activation_bytes), collapsed))
        rows.append(("total", "", "", format_count(summary.total_params), format_si(summary.total_flops),
                     format_bytes(summary.activation_bytes), False))
        self.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, (*cells, collapsed) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in _NUMERIC:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if collapsed:
                    item.setForeground(QBrush(_ERROR_COLOUR))
                    item.setToolTip("The feature map has shrunk to nothing here.")
                if r == len(rows) - 1:
                    item.setFont(bold)
                self.setItem(r, c, item)

    def cell_text(self, row: int, column: str) -> str:
        item = self.item(row, COLUMNS.index(column))
        return item.text() if item is not None else ""

    def clear_summary(self) -> None:
        self.summary = None
        self.setRowCount(0)
