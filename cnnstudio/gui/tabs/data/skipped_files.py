"""SkippedFilesBox: a collapsible table of the files an import could not read, and why."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

TITLE = "Files that could not be read ({count})"


class SkippedFilesBox(QWidget):
    """A header button with the count that shows or hides a table of path and reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
        self.toggle.setToolTip("Images a folder import skipped (unreadable, truncated, not an image). "
                               "They are left out of training; fix or remove them and open the folder again.")
        self.toggle.toggled.connect(self.set_expanded)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.table.resizeRowsToContents)
        # rows grow to fit the wrapped reason whenever the columns change width
        self.table.horizontalHeader().geometriesChanged.connect(self._fit_rows)
        self.table.horizontalHeader().sectionResized.connect(self._fit_rows)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.table)
        self.set_skipped([])

    def set_skipped(self, skipped: Sequence[Any]) -> None:
        """Fill the table from ``ImageSet.skipped`` (path, reason); open it when there is anything to see."""
        self.table.setRowCount(len(skipped))
        paths = [str(entry.path) for entry in skipped]
        root = _common_folder(paths)
        for row, (path, entry) in enumerate(zip(paths, skipped)):
            name = QTableWidgetItem(os.path.relpath(path, root) if root else path)
            name.setData(Qt.ItemDataRole.UserRole, path)
            name.setToolTip(path)
            reason = QTableWidgetItem(str(entry.reason))
            reason.setToolTip(str(entry.reason))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, reason)
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), 200))
        self.table.resizeRowsToContents()
        self.toggle.setText(TITLE.format(count=len(skipped)))
        self.toggle.setEnabled(bool(skipped))
        self.toggle.setChecked(bool(skipped))
        self.set_expanded(bool(skipped))

    def _fit_rows(self, *_: Any) -> None:
        self._fit_timer.start()  # once, after the layout settles; dies with this widget

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.table.setVisible(expanded)

    def rows(self) -> list[tuple[str, str]]:
        """(full path, reason) per row."""
        return [(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole), self.table.item(r, 1).text())
                for r in range(self.table.rowCount())]


def _common_folder(paths: Sequence[str]) -> str:
    """The folder all ``paths`` lie in (shown relative to it), or '' when they share none."""
    try:
        return os.path.commonpath([os.path.dirname(path) for path in paths]) if paths else ""
    except ValueError:  # mixed drives or relative and absolute paths
        return ""
