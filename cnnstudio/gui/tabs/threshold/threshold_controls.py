"""The Threshold view's controls: slider and spin box with the saved state, Save / Revert, and the two solvers.

Widgets only; ``cnnstudio.gui.tabs.threshold.threshold_view`` connects them and decides what
they show. The slider has STEPS positions over 0..1; the spin box shows the
exact threshold (a solver's answer lies between slider steps).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from cnnstudio.gui.tabs.threshold.threshold_counts import FPR_TIP, RECALL_TIP

STEPS = 1000  # slider positions over 0..1: steps of 0.001
LOWEST, HIGHEST = 0.0001, 0.9999  # a saved threshold lies strictly between 0 and 1
SAVE_TIP = ("Write this threshold into the run's saved weights: `cnnstudio predict`, the Try an image tab and "
            "exports then decide with it.")


class ThresholdControls(QWidget):
    """"Decision threshold" and "Solve for a target" boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(LOWEST * STEPS) or 1, STEPS - 1)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(LOWEST, HIGHEST)
        self.spin.setDecimals(4)
        self.spin.setSingleStep(0.001)
        self.spin.setKeyboardTracking(False)  # a half-typed number is not a threshold yet
        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        self.save_button = QPushButton("Save threshold to run")
        self.save_button.setToolTip(SAVE_TIP)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Move the slider back to the threshold saved in the run.")
        threshold_box = QGroupBox("Decision threshold")
        grid = QGridLayout(threshold_box)
        grid.addWidget(self.slider, 0, 0, 1, 3)
        grid.addWidget(self.spin, 0, 3)
        grid.addWidget(self.saved_label, 1, 0, 1, 2)
        grid.addWidget(self.revert_button, 1, 2)
        grid.addWidget(self.save_button, 1, 3)

        self.recall_target = _fraction_box(0.95, 0.01, 1.0, RECALL_TIP)
        self.recall_button = QPushButton("Find")
        self.recall_button.setToolTip("Catch at least this share of the validation defects, with as few false alarms "
                                      "as that allows. " + RECALL_TIP)
        self.fpr_target = _fraction_box(0.05, 0.0, 1.0, FPR_TIP)
        self.fpr_button = QPushButton("Find")
        self.fpr_button.setToolTip("Flag at most this share of the good validation images, catching as many defects "
                                   "as that allows. " + FPR_TIP)
        self.solver_note = QLabel()
        self.solver_note.setWordWrap(True)
        solver_box = QGroupBox("Solve for a target (on the validation split)")
        solvers = QGridLayout(solver_box)
        # Wrapped words beside short buttons: long button captions cannot wrap and widened the window.
        for row, (text, target, button) in enumerate((
                ("Highest threshold with recall at least", self.recall_target, self.recall_button),
                ("Lowest threshold with false-positive rate at most", self.fpr_target, self.fpr_button))):
            goal = QLabel(text)
            goal.setWordWrap(True)
            goal.setToolTip(button.toolTip())
            solvers.addWidget(goal, row, 0)
            solvers.addWidget(target, row, 1)
            solvers.addWidget(button, row, 2)
        solvers.setColumnStretch(0, 1)
        solvers.addWidget(self.solver_note, 2, 0, 1, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(threshold_box)
        layout.addWidget(solver_box)


def _fraction_box(value: float, low: float, high: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(3)
    box.setSingleStep(0.01)
    box.setValue(value)
    box.setToolTip(tip)
    return box
