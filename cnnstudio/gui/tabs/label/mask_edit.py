"""One mask gesture of the Label canvas: a working copy of the mask, brush segments, and the lasso's outline.

The working copy is made when a gesture starts, so a label already handed out
(to Undo) never changes under it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from cnnstudio.core.labels.label_set import GOOD_CLASS, ImageLabel
from cnnstudio.gui.tabs.label.mask_layer import MaskItem, fill_polygon, stamp_segment


def mask_class(label: ImageLabel, current: str | None) -> str | None:
    """The class a mask is shown in: the label's defect class, else the ``current`` class."""
    return current if label.class_name in (None, GOOD_CLASS) else label.class_name


def classed(label: ImageLabel, current: str | None) -> ImageLabel:
    """``label`` after a mask edit: a good or unclassed image takes the ``current`` class."""
    if label.class_name in (None, GOOD_CLASS) and current not in (None, GOOD_CLASS):
        return replace(label, class_name=current)
    return label


class MaskEdit:
    """The mask being edited by one gesture, shown live in ``item``; ``lasso`` holds the polygon's points."""

    def __init__(self, item: MaskItem, scene: QGraphicsScene) -> None:
        self.item = item
        self.outline = QGraphicsPathItem()
        pen = QPen(QColor(Qt.GlobalColor.yellow), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.outline.setPen(pen)
        self.outline.setZValue(3)
        scene.addItem(self.outline)
        self.working: np.ndarray | None = None
        self.changed = False
        self.last = QPointF()
        self.lasso: list[QPointF] = []

    def begin(self, mask: np.ndarray | None, size: tuple[int, int], colour: str) -> None:
        """Start editing a copy of ``mask`` (a zero mask of ``size`` = (width, height) when None)."""
        width, height = size
        self.working = np.zeros((height, width), np.uint8) if mask is None else mask.astype(np.uint8, copy=True)
        self.changed = False
        self.item.set_mask(self.working, colour, same_pixels=mask is not None)

    def stroke_to(self, point: QPointF, radius: float, value: int) -> None:
        """Paint ``value`` with a round brush from the last point to ``point``; recolour only what changed."""
        assert self.working is not None
        rect = stamp_segment(self.working, (self.last.x(), self.last.y()), (point.x(), point.y()), radius, value)
        self.last = point
        if rect is not None:
            self.changed = True
            self.item.refresh(rect)

    def fill(self, points: list[tuple[float, float]]) -> None:
        """Fill the polygon ``points`` into the working mask."""
        assert self.working is not None
        rect = fill_polygon(self.working, points)
        if rect is not None:
            self.changed = True
            self.item.refresh(rect)

    def finish(self) -> np.ndarray | None:
        """End the gesture: the new mask, or None when it changed nothing (or none was under way)."""
        mask, changed = self.working, self.changed
        self.working, self.changed = None, False
        return mask if changed else None

    def draw_lasso(self, hover: QPointF | None = None) -> None:
        """Show the lasso's points joined, and a line on to ``hover`` (the mouse) when given."""
        path = QPainterPath()
        if self.lasso:
            path.moveTo(self.lasso[0])
            for point in [*self.lasso[1:], *([hover] if hover is not None else [])]:
                path.lineTo(point)
        self.outline.setPath(path)

    def take_lasso(self) -> list[tuple[float, float]]:
        """The lasso's points (image x, y); the lasso is cleared."""
        points = [(point.x(), point.y()) for point in self.lasso]
        self.clear_lasso()
        return points

    def clear_lasso(self) -> None:
        """Drop the lasso's points and outline."""
        self.lasso = []
        self.outline.setPath(QPainterPath())


def brush_cursor(diameter: float) -> QCursor:
    """A circle ``diameter`` screen pixels across (kept between 5 and 256), white over black to show on any photo."""
    size = int(min(256, max(5, round(diameter))))
    pixmap = QPixmap(size + 2, size + 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(Qt.GlobalColor.black), 1))
    painter.drawEllipse(QRectF(0.5, 0.5, size + 1, size + 1))
    painter.setPen(QPen(QColor(Qt.GlobalColor.white), 1))
    painter.drawEllipse(QRectF(1.5, 1.5, size - 1, size - 1))
    painter.end()
    return QCursor(pixmap, (size + 2) // 2, (size + 2) // 2)
