"""The Label canvas's mask: a numpy mask (0/1 per image pixel) shown as a see-through overlay in its class colour.

The overlay is a QImage that shares memory with a numpy array, so a brush
stroke paints the mask and recolours only the rectangle it touched; nothing
here loops over pixels in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

OVERLAY_ALPHA = 110  # of 255: the photo stays visible under the mask


def premultiplied_argb(colour: str, alpha: int = OVERLAY_ALPHA) -> int:
    """``colour`` (#rrggbb) as one premultiplied ARGB32 pixel value with ``alpha``."""
    value = QColor(colour)
    red, green, blue = (round(part * alpha / 255) for part in (value.red(), value.green(), value.blue()))
    return (alpha << 24) | (red << 16) | (green << 8) | blue


def stamp_segment(mask: np.ndarray, start: tuple[float, float], end: tuple[float, float], radius: float,
                  value: int) -> QRect | None:
    """Set every pixel of ``mask`` within ``radius`` of the segment ``start``-``end`` (image x, y) to ``value``.

    Returns the touched rectangle (image pixels), or None when the stroke lies outside the image.
    """
    height, width = mask.shape
    radius = max(radius, 0.71)  # a 1 px brush still covers the pixel under the cursor
    (ax, ay), (bx, by) = start, end
    left = max(0, int(np.floor(min(ax, bx) - radius)))
    top = max(0, int(np.floor(min(ay, by) - radius)))
    right = min(width, int(np.ceil(max(ax, bx) + radius)) + 1)
    bottom = min(height, int(np.ceil(max(ay, by) + radius)) + 1)
    if left >= right or top >= bottom:
        return None
    xs = np.arange(left, right, dtype=np.float32)[None, :] + 0.5 - ax
    ys = np.arange(top, bottom, dtype=np.float32)[:, None] + 0.5 - ay
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 1e-9:  # distance to the segment: project onto it, clamped to its ends
        along = np.clip((xs * dx + ys * dy) / length2, 0.0, 1.0)
        xs, ys = xs - along * dx, ys - along * dy
    inside = xs * xs + ys * ys <= radius * radius
    mask[top:bottom, left:right][inside] = value
    return QRect(left, top, right - left, bottom - top)


def fill_polygon(mask: np.ndarray, points: Sequence[tuple[float, float]], value: int = 1) -> QRect | None:
    """Set the pixels of ``mask`` whose centres lie inside the polygon ``points`` (image x, y) to ``value``."""
    if len(points) < 3:
        return None
    height, width = mask.shape
    polygon = QPolygonF([QPointF(x, y) for x, y in points])
    bounds = polygon.boundingRect().toAlignedRect().intersected(QRect(0, 0, width, height))
    if bounds.isEmpty():
        return None
    stencil = QImage(bounds.width(), bounds.height(), QImage.Format.Format_Grayscale8)
    stencil.fill(0)
    painter = QPainter(stencil)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255))
    painter.translate(-bounds.left(), -bounds.top())
    painter.drawPolygon(polygon)
    painter.end()
    stride = stencil.bytesPerLine()
    raw = np.frombuffer(stencil.constBits(), np.uint8, count=stride * bounds.height())
    inside = raw.reshape(bounds.height(), stride)[:, :bounds.width()] > 0
    mask[bounds.top():bounds.bottom() + 1, bounds.left():bounds.right() + 1][inside] = value
    return bounds


class MaskItem(QGraphicsItem):
    """The mask overlay, drawn over the photo in scene (image pixel) coordinates."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.mask: np.ndarray | None = None
        self.colour = ""
        self._pixels = np.zeros((0, 0), np.uint32)  # the overlay's memory, premultiplied ARGB32
        self._image = QImage()
        self._colour_value = np.uint32(0)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(0, 0, self._image.width(), self._image.height())

    def set_mask(self, mask: np.ndarray | None, colour: str, same_pixels: bool = False) -> None:
        """Show ``mask`` (H, W, 0 or 1) in ``colour``; None hides the overlay.

        The array is kept, not copied: change it only through ``refresh``. ``same_pixels``
        says ``mask`` equals the one shown (a copy about to be edited), so nothing is recoloured
        unless the colour changed.
        """
        unchanged = colour == self.colour and mask is not None and (mask is self.mask or same_pixels)
        self.mask, self.colour = mask, colour
        if unchanged and self._pixels.shape == mask.shape:  # type: ignore[union-attr]
            self.setVisible(True)
            return
        self._colour_value = np.uint32(premultiplied_argb(colour))
        if mask is None:
            self.setVisible(False)
            return
        height, width = mask.shape
        if self._pixels.shape != (height, width):
            self.prepareGeometryChange()
            self._pixels = np.empty((height, width), np.uint32)
            self._image = QImage(self._pixels.data, width, height, width * 4,
                                 QImage.Format.Format_ARGB32_Premultiplied)
        np.multiply(mask != 0, self._colour_value, out=self._pixels)  # the whole overlay in one vectorised op
        self.setVisible(True)
        self.update()

    def refresh(self, rect: QRect) -> None:
        """Recolour the overlay inside ``rect`` (image pixels) after the mask changed there."""
        if self.mask is None or rect.isEmpty():
            return
        rows = slice(rect.top(), rect.bottom() + 1)
        cols = slice(rect.left(), rect.right() + 1)
        np.multiply(self.mask[rows, cols] != 0, self._colour_value, out=self._pixels[rows, cols])
        self.update(QRectF(rect))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._image.isNull():
            return
        source = option.exposedRect.toAlignedRect().intersected(self._image.rect())
        if not source.isEmpty():
            painter.drawImage(QRectF(source), self._image, QRectF(source))


class ImageItem(QGraphicsItem):
    """The photo, drawn from a QImage (no QPixmap conversion) one exposed rectangle at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.image = QImage()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(0, 0, self.image.width(), self.image.height())

    def set_image(self, image: QImage) -> None:
        """Show ``image``, converted once to a format the painter draws without converting."""
        fast = (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied)
        if image.format() not in fast:
            image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel()
                                          else QImage.Format.Format_RGB32)
        self.prepareGeometryChange()
        self.image = image
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        source = option.exposedRect.toAlignedRect().intersected(self.image.rect())
        if not source.isEmpty():
            painter.drawImage(QRectF(source), self.image, QRectF(source))
