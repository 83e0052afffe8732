"""The Threshold view's three plots: score histogram per class, ROC curve, precision-recall curve.

The histogram carries the threshold as a draggable vertical line; the ROC and
PR curves carry a dot at the current threshold's point. Data comes computed
from the core (``score_histograms``, ``score_curves``, ``confusion_at``);
nothing here computes a metric.

pyqtgraph takes about a second to import, so ``cnnstudio.gui.tabs.threshold.threshold_view``
imports this module only when it first has a report to draw.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.plot_fit import fit_plot_minimum

LOG_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
NEGATIVE_COLOUR = (31, 119, 180)  # the normal class (class 0)
POSITIVE_COLOUR = (214, 39, 40)  # the other class(es): defect, forged, logo
LINE_COLOUR = palette.TEXT
PLOT_FLOOR = (170, 150)  # three side by side fit a 1024 x 700 screen; longer class names raise it

HISTOGRAM_TIP = (
    "How many validation images got each score (1 - p(normal)), drawn separately for the normal images (blue) "
    "and the others (red). Images right of the black line are flagged. Blue right of the line are false alarms; "
    "red left of it are missed. Drag the line to move the threshold."
)
ROC_TIP = (
    "ROC curve: every threshold gives one point, the share of real defects caught (recall, up) against the share "
    "of good images flagged (false-positive rate, right). The top-left corner is perfect; the dashed diagonal is "
    "guessing. AUC is the area under the curve (1 = perfect ranking, 0.5 = guessing). The dot is the current threshold."
)
PR_TIP = (
    "Precision-recall curve: of the images flagged, the share that really are defects (precision), against the "
    "share of defects caught (recall). Useful when defects are rare. AP (average precision) sums it up "
    "(1 = perfect). The dot is the current threshold."
)


class ScorePlots(QWidget):
    """Histogram (with a draggable threshold line), ROC and PR plots side by side."""

    threshold_dragged = Signal(float)  # the line was moved (by a drag, or by setValue on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.histogram_plot = _plot("score (1 - p(normal))", "images", HISTOGRAM_TIP)
        self.histogram_plot.setXRange(0, 1, padding=0.02)
        self.histogram_plot.getAxis("left").enableAutoSIPrefix(False)  # log ticks are counts, not "x0.001"
        self.negative_item = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(NEGATIVE_COLOUR, width=1.5),
                                             brush=pg.mkBrush(*NEGATIVE_COLOUR, 90))
        self.positive_item = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(POSITIVE_COLOUR, width=1.5),
                                             brush=pg.mkBrush(*POSITIVE_COLOUR, 90))
        self.histogram_plot.addItem(self.negative_item)
        self.histogram_plot.addItem(self.positive_item)
        self.threshold_line = pg.InfiniteLine(
            pos=0.5, angle=90, movable=True, bounds=(0.0, 1.0), pen=pg.mkPen(LINE_COLOUR, width=2),
            hoverPen=pg.mkPen(palette.HIGHLIGHT, width=3), label="threshold {value:.3f}",
            labelOpts={"position": 0.96, "color": LINE_COLOUR, "fill": (255, 255, 255, 200), "movable": True},
        )
        self.threshold_line.setToolTip("The decision threshold: drag it. Images scoring at or above it are flagged.")
        self.histogram_plot.addItem(self.threshold_line)
        self.threshold_line.sigPositionChanged.connect(self._line_moved)

        self.roc_plot = _plot("false-positive rate", "recall", ROC_TIP)
        self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen(palette.REFERENCE_LINE, width=1, style=Qt.PenStyle.DashLine))
        self.roc_item = self.roc_plot.plot(pen=pg.mkPen(POSITIVE_COLOUR, width=2))
        self.roc_dot = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(LINE_COLOUR), pen=pg.mkPen("w", width=1.5))
        self.roc_plot.addItem(self.roc_dot)

        self.pr_plot = _plot("recall", "precision", PR_TIP)
        self.pr_item = self.pr_plot.plot(pen=pg.mkPen(POSITIVE_COLOUR, width=2), stepMode=None)
        self.pr_dot = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(LINE_COLOUR), pen=pg.mkPen("w", width=1.5))
        self.pr_plot.addItem(self.pr_dot)
        for plot in (self.roc_plot, self.pr_plot):
            plot.setXRange(0, 1, padding=0.03)
            plot.setYRange(0, 1, padding=0.03)

        self.log_counts = QCheckBox("Log count scale")
        self.log_counts.setChecked(True)
        self.log_counts.setToolTip("Shows the few images near the threshold. A good model puts most images at scores "
                                   "near 0 and 1; their tall bars hide the few images in between, where the "
                                   "threshold decides. The log scale shows them.")
        self.log_counts.toggled.connect(lambda _on: self._draw_histogram())
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.histogram_plot, 1)
        left.addWidget(self.log_counts)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 4)
        layout.addWidget(self.roc_plot, 3)
        layout.addWidget(self.pr_plot, 3)
        self._moving_line = False
        self._histogram: Any = None

    def show_scores(self, histogram: Any, curves: Any, negative_name: str, positive_name: str) -> None:
        """Draw a ScoreHistogram and ScoreCurves (from cnnstudio.core.evaluate.threshold_curves)."""
        self._histogram = histogram
        self._draw_histogram()
        # The legend is the title: a legend box inside the plot would sit where the threshold line goes.
        self.histogram_plot.setTitle(
            f"<span style='color:{_hex(NEGATIVE_COLOUR)}'>&#9632; {negative_name} "
            f"({int(np.sum(histogram.negatives))})</span> &nbsp; <span style='color:{_hex(POSITIVE_COLOUR)}'>"
            f"&#9632; {positive_name} ({int(np.sum(histogram.positives))})</span>"
        )
        # Short axis words (the tooltips explain them): a plot cannot wrap a label, and a long one was cut.
        self.histogram_plot.setLabel("bottom", f"score = 1 - p({negative_name})")
        self.roc_plot.setLabel("bottom", f"{negative_name} flagged (FPR)")
        self.roc_plot.setLabel("left", f"{positive_name} caught (recall)")
        self.pr_plot.setLabel("bottom", f"{positive_name} caught (recall)")
        self.roc_item.setData(curves.fpr, curves.tpr)
        self.roc_plot.setTitle(f"ROC, AUC {_figure(curves.roc_auc)}")
        # Start the PR curve at recall 0 with the precision of the first (highest) threshold.
        recall = np.r_[0.0, curves.recall]
        precision = np.r_[curves.precision[:1], curves.precision]
        self.pr_item.setData(recall, precision)
        self.pr_plot.setTitle(f"PR curve, AP {_figure(curves.average_precision)}")
        for plot in (self.histogram_plot, self.roc_plot, self.pr_plot):
            fit_plot_minimum(plot, PLOT_FLOOR)

    def _draw_histogram(self) -> None:
        histogram = self._histogram
        if histogram is None:
            return
        counts = [np.asarray(histogram.negatives), np.asarray(histogram.positives)]
        peak = max(max(int(np.max(c, initial=0)) for c in counts), 1)
        axis = self.histogram_plot.getAxis("left")
        if self.log_counts.isChecked():
            counts = [np.log10(1 + c) for c in counts]
            ticks = [t for t in LOG_TICKS if t <= peak * 2]
            axis.setTicks([[(float(np.log10(1 + t)), str(t)) for t in ticks]])
            self.histogram_plot.setLabel("left", "images (log scale)")
            top = float(np.log10(1 + peak)) * 1.08
        else:
            axis.setTicks(None)
            self.histogram_plot.setLabel("left", "images")
            top = peak * 1.08
        self.negative_item.setData(histogram.edges, counts[0])
        self.positive_item.setData(histogram.edges, counts[1])
        self.histogram_plot.setYRange(0, top, padding=0)

    def show_threshold(self, value: float, counts: Any) -> None:
        """Move the line (without emitting threshold_dragged) and the dots to ``value``'s Confusion ``counts``."""
        self._moving_line = True
        try:
            self.threshold_line.setValue(value)
        finally:
            self._moving_line = False
        fpr, recall = counts.fpr, counts.recall
        self.roc_dot.setData([fpr], [recall]) if _finite(fpr, recall) else self.roc_dot.setData([], [])
        precision = counts.precision
        self.pr_dot.setData([recall], [precision]) if _finite(recall, precision) else self.pr_dot.setData([], [])

    def _line_moved(self) -> None:
        if not self._moving_line:
            self.threshold_dragged.emit(float(self.threshold_line.value()))


def _plot(x_label: str, y_label: str, tip: str) -> Any:
    plot = pg.PlotWidget(background="w")
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMenuEnabled(False)
    plot.getPlotItem().getViewBox().setMouseEnabled(x=False, y=False)  # a drag moves the line, not the view
    plot.setMinimumSize(*PLOT_FLOOR)
    plot.setToolTip(tip)
    return plot


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _finite(*values: float) -> bool:
    return all(not math.isnan(v) for v in values)


def _figure(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"
