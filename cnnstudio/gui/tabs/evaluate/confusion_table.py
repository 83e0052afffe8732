"""The confusion matrix as a clickable grid: rows are true classes, columns predicted classes.

    table = ConfusionTable()
    table.set_matrix([[48, 2], [12, 58]], ["ok", "scratch"])
    table.cell_chosen.connect(on_cell)        # (true class, predicted class) when a cell is clicked

Each cell shows its count and its share of the row (of the images truly of
that class, how many got this answer); the colour follows that share, green
on the diagonal (right answers), red off it (mistakes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from cnnstudio.gui.widgets import palette

COUNT_ROLE = Qt.ItemDataRole.UserRole  # the cell's count (int)
RIGHT = QColor(46, 160, 67)  # diagonal: green
WRONG = QColor(214, 58, 48)  # off the diagonal: red
SELECTED = QColor(31, 78, 153)
CELL_PX = 56
MAX_CELL_PX = 150


def row_share(count: int, row_total: int) -> float:
    """A cell's share of its row (0 for an empty row)."""
    return count / row_total if row_total else 0.0


def cell_colour(share: float, diagonal: bool) -> QColor:
    """White blended toward green (diagonal) or red (off it) in proportion to ``share``."""
    base = RIGHT if diagonal else WRONG
    share = max(0.0, min(1.0, share))
    # Any non-empty cell is visibly tinted: 3 mistakes out of 80 must not look like none.
    weight = 0.0 if share == 0 else 0.15 + 0.7 * share
    red, green, blue = (round(255 * (1 - weight) + channel * weight) for channel in (base.red(), base.green(), base.blue()))
    return QColor(red, green, blue)


def share_text(count: int, share: float) -> str:
    """A row share as a percentage; a non-empty cell never reads as 0%."""
    text = f"{share:.0%}"
    return "<1%" if count and text == "0%" else text


def cell_tooltip(count: int, row_total: int, true_name: str, predicted_name: str) -> str:
    """What a cell means, in words."""
    share = row_share(count, row_total)
    of_row = f"{share_text(count, share)} of the {row_total} '{true_name}' images"
    if true_name == predicted_name:
        return (f"{count} '{true_name}' images were correctly called '{true_name}' ({of_row}).\n"
                f"This share is the recall of '{true_name}': of the real '{true_name}' images, how many were caught.\n"
                "Click to see them, the least confident first.")
    images = "image was" if count == 1 else "images were"
    return (f"{count} '{true_name}' {images} called '{predicted_name}' ({of_row}).\n"
            "Click to see them, the worst (highest loss) first.")


class _CellDelegate(QStyledItemDelegate):
    """Paints the chosen cell with its own colour and a frame (the usual highlight would hide the colour)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected
        plain.state &= ~QStyle.StateFlag.State_HasFocus
        super().paint(painter, plain, index)
        if selected:
            painter.save()
            painter.setPen(QPen(SELECTED, 3))
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()


class ConfusionTable(QTableWidget):
    """A read-only confusion matrix; clicking a cell emits ``cell_chosen(true, predicted)``."""

    cell_chosen = Signal(int, int)  # true class, predicted class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.class_names: list[str] = []
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setWordWrap(True)
        self.setItemDelegate(_CellDelegate(self))
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # cells share the space
            header.setMinimumSectionSize(CELL_PX // 2)
        self.horizontalHeader().setToolTip("Predicted class: what the model said.")
        self.verticalHeader().setToolTip("True class: what the image really shows.")
        self.cellClicked.connect(self._on_clicked)

    def set_matrix(self, matrix: Sequence[Sequence[int]], class_names: Sequence[str]) -> None:
        """Show ``matrix`` (rows: true class, columns: predicted class) with the class names as headers."""
        self.matrix = [[int(v) for v in row] for row in matrix]
        self.class_names = list(class_names)
        size = len(self.class_names)
        self.clear()
        self.setRowCount(size)
        self.setColumnCount(size)
        self.setHorizontalHeaderLabels([f"said {name}" for name in self.class_names])
        self.setVerticalHeaderLabels([f"is {name}" for name in self.class_names])
        for row, values in enumerate(self.matrix):
            total = sum(values)
            for column, count in enumerate(values):
                share = row_share(count, total)
                item = QTableWidgetItem(f"{count}\n{share_text(count, share)}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setData(COUNT_ROLE, count)
                item.setBackground(QBrush(cell_colour(share, row == column)))
                item.setForeground(QBrush(QColor("black" if count else palette.EMPTY)))
                item.setToolTip(cell_tooltip(count, total, self.class_names[row], self.class_names[column]))
                self.setItem(row, column, item)
        # Cells stretch to share the space, up to a limit: two classes should not make wall-sized cells.
        self.setMaximumSize(self._size_for(MAX_CELL_PX))
        self.updateGeometry()

    def _size_for(self, cell: int) -> QSize:
        """The table's size with square cells of ``cell`` pixels."""
        frame = 2 * self.frameWidth()
        size = len(self.class_names)
        return QSize(self.verticalHeader().sizeHint().width() + size * cell + frame,
                     self.horizontalHeader().sizeHint().height() + size * cell + frame)

    def sizeHint(self) -> QSize:
        """Wide enough for every "said <class>" header, at least CELL_PX per cell, at most MAX_CELL_PX."""
        metrics = self.horizontalHeader().fontMetrics()
        widest = max((metrics.horizontalAdvance(f"said {name}") + 14 for name in self.class_names), default=CELL_PX)
        return self._size_for(min(MAX_CELL_PX, max(CELL_PX, widest, 100)))

    def count(self, true_class: int, predicted_class: int) -> int:
        """The number shown in one cell."""
        return int(self.item(true_class, predicted_class).data(COUNT_ROLE))

    def choose(self, true_class: int, predicted_class: int) -> None:
        """Select a cell as if it were clicked."""
        self.setCurrentCell(true_class, predicted_class)
        self.cell_chosen.emit(true_class, predicted_class)

    def _on_clicked(self, row: int, column: int) -> None:
        self.cell_chosen.emit(row, column)
