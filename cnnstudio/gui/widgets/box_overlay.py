"""Every detected box drawn with its score: the Try tab's overlay and the Evaluate gallery's tiles.

Boxes at or above the decision threshold are drawn solid with their class
and score; weaker ones (above the head's low floor) thin and dashed, so a
person sees what the threshold leaves out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap

STRONG = QColor(255, 40, 40)
WEAK = QColor(255, 210, 40)


def paint_boxes(painter: QPainter, boxes: list[dict[str, Any]], scale: float, threshold: float | None,
                key: str = "box") -> None:
    """Draw ``boxes`` (``{key: [x0, y0, x1, y1], "score", "class"}``, coordinates times ``scale``), weakest first."""
    font = QFont(painter.font())
    font.setPixelSize(11)
    font.setBold(True)
    painter.setFont(font)
    for found in reversed(boxes):
        strong = threshold is None or found["score"] >= threshold
        pen = QPen(STRONG if strong else WEAK, 2 if strong else 1)
        if not strong:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        x0, y0, x1, y1 = (float(v) * scale for v in found[key])
        painter.drawRect(QRectF(x0, y0, max(1.0, x1 - x0), max(1.0, y1 - y0)))
        if strong:
            label = f"{found['class']} {found['score']:.2f}"
            width = painter.fontMetrics().horizontalAdvance(label) + 4
            top = y0 - 14 if y0 >= 14 else y1
            painter.fillRect(QRectF(x0, top, width, 14), STRONG)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(QRectF(x0 + 2, top, width, 14), Qt.AlignmentFlag.AlignVCenter, label)


def pixmap_with_boxes(pixmap: QPixmap, image_side: int, boxes: list[dict[str, Any]], threshold: float | None,
                      key: str = "box") -> QPixmap:
    """A copy of ``pixmap`` (an enlarged ``image_side`` px square image) with ``boxes`` drawn on it."""
    drawn = QPixmap(pixmap)
    painter = QPainter(drawn)
    paint_boxes(painter, boxes, drawn.width() / image_side, threshold, key)
    painter.end()
    return drawn


def image_with_boxes(image: QImage, side: int, boxes: list[dict[str, Any]], threshold: float | None) -> QImage:
    """``image`` enlarged to ``side`` px (nearest neighbour) with ``boxes`` (in its own pixels) drawn on it."""
    drawn = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
    drawn = drawn.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(drawn)
    paint_boxes(painter, boxes, drawn.width() / image.width(), threshold)
    painter.end()
    return drawn
