"""Per-class precision, recall, F1 and support of an evaluation, with tooltips that teach what each means.

    table = ClassMetricsTable()
    table.set_report(report.per_class, report.class_names)   # rows: classes
    table.value(1, "recall")                                 # the exact float shown in a cell
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

VALUE_ROLE = Qt.ItemDataRole.UserRole  # the unrounded number
COLUMNS = ("precision", "recall", "f1", "support")
TITLES = {"precision": "Precision", "recall": "Recall", "f1": "F1", "support": "Support"}
TIPS = {
    "precision": ("Precision: of the images the model called this class, how many really were.\n"
                  "On a defect line: of the parts flagged as defective, how many really were "
                  "(high precision = few false alarms)."),
    "recall": ("Recall: of the images that really are this class, how many the model caught.\n"
               "On a defect line: of the real defects, how many were caught "
               "(low recall = defects shipped to customers)."),
    "f1": "F1: the harmonic mean of precision and recall. It is high only when both are.",
    "support": ("Support: how many images of this class the split holds.\n"
                "With few images, one mistake moves the numbers a lot."),
}
ACCURACY_TIP = ("Accuracy: the share of all images decided correctly.\n"
                "It misleads on imbalanced data: if 95% of the parts are fine, a model that always says 'ok' "
                "scores 95% and catches no defect.\nLook at the recall of the rare class instead.")


class ClassMetricsTable(QTableWidget):
    """One row per class: precision, recall, F1 (3 decimals) and support."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS) + 1, parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._set_headers()

    def _set_headers(self) -> None:
        headers = [QTableWidgetItem("Class")] + [QTableWidgetItem(TITLES[name]) for name in COLUMNS]
        headers[0].setToolTip("The true class (a row of the confusion matrix).")
        for column, item in enumerate(headers):
            if column:
                item.setToolTip(TIPS[COLUMNS[column - 1]])
            self.setHorizontalHeaderItem(column, item)

    def set_report(self, per_class: Sequence[dict[str, Any]], class_names: Sequence[str]) -> None:
        """Show one row per class of ``per_class`` (dicts with precision, recall, f1, support)."""
        self.setRowCount(len(class_names))
        for row, (name, values) in enumerate(zip(class_names, per_class)):
            self.setItem(row, 0, QTableWidgetItem(str(name)))
            for column, key in enumerate(COLUMNS, start=1):
                number = values[key]
                text = str(int(number)) if key == "support" else f"{float(number):.3f}"
                item = QTableWidgetItem(text)
                item.setData(VALUE_ROLE, number)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"{name}: {TIPS[key]}")
                self.setItem(row, column, item)

        # As tall as its rows: the space below is the gallery's, not empty table.
        rows = sum(self.rowHeight(row) for row in range(self.rowCount()))
        self.setMaximumHeight(self.horizontalHeader().sizeHint().height() + rows + 2 * self.frameWidth() + 2)

    def value(self, row: int, key: str) -> Any:
        """The unrounded number behind a cell (``key`` one of precision, recall, f1, support)."""
        return self.item(row, COLUMNS.index(key) + 1).data(VALUE_ROLE)
