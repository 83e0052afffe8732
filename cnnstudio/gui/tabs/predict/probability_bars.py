"""The class probabilities of one prediction as labelled bars, one row per class."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QWidget


class ProbabilityBars(QGroupBox):
    """"Class probabilities": name, a bar and the percentage per class; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Class probabilities", parent)
        self.setToolTip("The softmax of the model's outputs: how sure it is of each class. "
                        "They add up to 100%. A confident wrong answer is a sign of over-fitting "
                        "or of an image unlike the training data.")
        self.grid = QGridLayout(self)
        self.rows: dict[str, tuple[QProgressBar, QLabel]] = {}

    def show_probabilities(self, probabilities: dict[str, float]) -> None:
        """One row per class, replacing the previous rows; ``{}`` clears and hides the box."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.rows = {}
        for row, (name, probability) in enumerate(probabilities.items()):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(round(probability * 1000))
            bar.setTextVisible(False)
            percent = QLabel(f"{probability * 100:.1f}%")
            percent.setMinimumWidth(52)
            percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, widget in enumerate((QLabel(name), bar, percent)):
                self.grid.addWidget(widget, row, column)
                widget.show()  # at once, not after the next event-loop turn
            self.rows[name] = (bar, percent)
        self.setVisible(bool(probabilities))
