"""Turning uint8 image arrays into QImages and colouring heat maps (shared by every view)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QImage

# The numpy-only helpers live in core (the HTML report uses them too); re-exported for the views.
from cnnstudio.core.report.colour_maps import as_hwc, heat_colours, normalise, overlay_heatmap

__all__ = ["as_hwc", "heat_colours", "normalise", "overlay_heatmap", "to_qimage"]


def to_qimage(image: Any) -> QImage:
    """A QImage that owns a copy of ``image``'s pixels (safe after the array is gone)."""
    array = as_hwc(image)
    height, width, _ = array.shape
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
