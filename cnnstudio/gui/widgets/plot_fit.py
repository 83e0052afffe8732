"""fit_plot_minimum: a pyqtgraph plot's minimum size grows to what its title, axis labels and legend need.

A PlotWidget is a QGraphicsView: when the window squeezes it below what its
scene needs, the plot is cut off at the edge (a clipped PR curve, half a
title, a legend without its left column) instead of the layout making room.
Setting the widget's minimum from the scene's own needs keeps the plot whole;
the layouts and the window's minimum size then account for it.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt

MARGIN = 12  # px around a legend or an axis label, so it does not touch the frame


def fit_plot_minimum(plot: Any, floor: tuple[int, int], legend: Any = None) -> None:
    """Set ``plot``'s minimum size to what its contents need, never below ``floor`` (width, height)."""
    item = plot.getPlotItem()
    needed = item.effectiveSizeHint(Qt.SizeHint.MinimumSize)
    width, height = needed.width(), needed.height()
    left, bottom = item.getAxis("left"), item.getAxis("bottom")
    left_width = left.width() if left.isVisible() else 0
    if bottom.isVisible() and bottom.label.isVisible():
        width = max(width, left_width + bottom.label.boundingRect().width() + MARGIN)
    if left.isVisible() and left.label.isVisible():
        height = max(height, bottom.height() + _title_height(item) + left.label.boundingRect().width() + MARGIN)
    if legend is not None and legend.isVisible():
        box = legend.boundingRect()
        width = max(width, left_width + box.width() + 2 * MARGIN)
        height = max(height, bottom.height() + _title_height(item) + box.height() + 2 * MARGIN)
    plot.setMinimumSize(max(floor[0], math.ceil(width)), max(floor[1], math.ceil(height)))


def _title_height(item: Any) -> float:
    title = item.titleLabel
    return title.boundingRect().height() if title.isVisible() else 0.0
