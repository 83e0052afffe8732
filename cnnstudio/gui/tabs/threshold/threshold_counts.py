"""The Threshold view's live figures: a 2x2 confusion matrix and precision, recall, FPR, F1, accuracy.

It shows a ``cnnstudio.core.evaluate.threshold_curves.Confusion`` (computed in the core
by ``confusion_at``); nothing here counts or computes a rate.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from cnnstudio.gui.widgets import palette

RIGHT_COLOUR = palette.RIGHT_BACKGROUND
WRONG_COLOUR = palette.WRONG_BACKGROUND

RECALL_TIP = ("Recall: the share of real defects the model flags. Every defect it misses (a false negative) ships "
              "to a customer. Lower the threshold to catch more.")
FPR_TIP = ("False-positive rate: the share of good images flagged as defects. Every false alarm stops the line "
           "for a needless check. Raise the threshold to flag fewer.")
PRECISION_TIP = ("Precision: of the images flagged, the share that really are defects: how far the people at the "
                 "line can trust an alarm.")
F1_TIP = "F1: one number that balances precision and recall (their harmonic mean); 1 is perfect."
ACCURACY_TIP = ("Accuracy: the share of images decided right. When defects are rare it looks high even if every "
                "defect is missed; watch recall and the false-positive rate instead.")
CELL_TIPS = {
    "tn": "True negatives: {neg} images decided {neg}. Correct: the line keeps running.",
    "fp": "False positives (false alarms): {neg} images flagged as {pos}. Each one stops the line for nothing.",
    "fn": "False negatives (missed): {pos} images passed as {neg}. Each one ships to a customer.",
    "tp": "True positives: {pos} images caught as {pos}. Correct.",
}


class ConfusionPanel(QGroupBox):
    """tn fp / fn tp with class names, and the rates beside them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("At this threshold (validation split)", parent)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        self.column_titles = [QLabel(), QLabel()]
        self.row_titles = [QLabel(), QLabel()]
        for column, label in enumerate(self.column_titles):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)  # a long class name breaks the line rather than widening the window
            grid.addWidget(label, 0, column + 1)
        for row, label in enumerate(self.row_titles):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setWordWrap(True)
            grid.addWidget(label, row + 1, 0)
        self.cells: dict[str, QLabel] = {}
        for name, row, column, colour in (("tn", 1, 1, RIGHT_COLOUR), ("fp", 1, 2, WRONG_COLOUR),
                                          ("fn", 2, 1, WRONG_COLOUR), ("tp", 2, 2, RIGHT_COLOUR)):
            cell = QLabel("-")
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setMinimumSize(96, 44)
            cell.setStyleSheet(f"background: {colour}; border: 1px solid {palette.BORDER}; font-size: 15px;")
            grid.addWidget(cell, row, column)
            self.cells[name] = cell

        form = QFormLayout()
        self.figures: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        for key, title, tip in (("recall", "Recall (defects caught)", RECALL_TIP),
                                ("fpr", "False-positive rate", FPR_TIP),
                                ("precision", "Precision", PRECISION_TIP),
                                ("f1", "F1", F1_TIP), ("accuracy", "Accuracy", ACCURACY_TIP)):
            value = QLabel("-")
            value.setToolTip(tip)
            caption = QLabel(title)
            caption.setToolTip(tip)
            caption.setWordWrap(True)
            form.addRow(caption, value)
            self.figures[key] = value
            self.captions[key] = caption

        # The rates under the matrix, not beside it: side by side they were too wide for a 1024 px screen.
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addStretch(1)
        self.set_class_names("normal", "defect")

    def set_class_names(self, negative: str, positive: str) -> None:
        """Label rows (truth) and columns (decision) with the normal class and the flagged one."""
        self.column_titles[0].setText(f"decided <b>{negative}</b>")
        self.column_titles[1].setText(f"decided <b>{positive}</b>")
        self.row_titles[0].setText(f"truly <b>{negative}</b>")
        self.row_titles[1].setText(f"truly <b>{positive}</b>")
        for name, cell in self.cells.items():
            cell.setToolTip(CELL_TIPS[name].format(neg=negative, pos=positive))
        self._names = (negative, positive)
        self.captions["recall"].setText(f"Recall ({positive} caught)")

    def show_counts(self, counts: Any) -> None:
        """Show a Confusion's cells and rates."""
        captions = {"tn": "right", "fp": "false alarm", "fn": "missed", "tp": "caught"}
        for name, cell in self.cells.items():
            cell.setText(f"<b>{getattr(counts, name)}</b><br><small>{captions[name]}</small>")
        for key, label in self.figures.items():
            label.setText(_percent(getattr(counts, key)))

    def count(self, name: str) -> int:
        """The number shown in cell ``name`` (tn, fp, fn or tp)."""
        text = self.cells[name].text()
        return int(text.split("<b>", 1)[1].split("</b>", 1)[0])


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"
