"""The Label canvas's boxes: a rectangle in its class colour, a class name tag, and resize handles when selected.

Rectangles live in scene coordinates (image pixels); the pen, tag and handles
keep their size on screen at any zoom.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.core.labels.label_set import Box

HANDLE_SIZE = 8  # screen pixels
# Which edges each handle moves: (left, top, right, bottom).
HANDLES: dict[str, tuple[bool, bool, bool, bool]] = {
    "top_left": (True, True, False, False), "top": (False, True, False, False),
    "top_right": (False, True, True, False), "right": (False, False, True, False),
    "bottom_right": (False, False, True, True), "bottom": (False, False, False, True),
    "bottom_left": (True, False, False, True), "left": (True, False, False, False),
}
HANDLE_CURSORS = {
    "top_left": Qt.CursorShape.SizeFDiagCursor, "bottom_right": Qt.CursorShape.SizeFDiagCursor,
    "top_right": Qt.CursorShape.SizeBDiagCursor, "bottom_left": Qt.CursorShape.SizeBDiagCursor,
    "top": Qt.CursorShape.SizeVerCursor, "bottom": Qt.CursorShape.SizeVerCursor,
    "left": Qt.CursorShape.SizeHorCursor, "right": Qt.CursorShape.SizeHorCursor,
}


def handle_points(rect: QRectF) -> dict[str, QPointF]:
    """Where each handle of ``rect`` sits (scene coordinates)."""
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
    return {"top_left": QPointF(left, top), "top": QPointF(middle_x, top), "top_right": QPointF(right, top),
            "right": QPointF(right, middle_y), "bottom_right": QPointF(right, bottom),
            "bottom": QPointF(middle_x, bottom), "bottom_left": QPointF(left, bottom),
            "left": QPointF(left, middle_y)}


def resized(rect: QRectF, handle: str, point: QPointF) -> QRectF:
    """``rect`` with the edges that ``handle`` moves dragged to ``point`` (may come out flipped: normalise it)."""
    moves_left, moves_top, moves_right, moves_bottom = HANDLES[handle]
    left = point.x() if moves_left else rect.left()
    top = point.y() if moves_top else rect.top()
    right = point.x() if moves_right else rect.right()
    bottom = point.y() if moves_bottom else rect.bottom()
    return QRectF(QPointF(left, top), QPointF(right, bottom))


def box_rect(box: Box) -> QRectF:
    """``box`` as a rectangle in scene (image pixel) coordinates."""
    return QRectF(QPointF(box.x0, box.y0), QPointF(box.x1, box.y1)).normalized()


def rounded_box(rect: QRectF, class_name: str) -> Box:
    """A box of class ``class_name`` on ``rect``, corners rounded to whole pixels."""
    rect = rect.normalized()
    return Box(float(round(rect.left())), float(round(rect.top())), float(round(rect.right())),
               float(round(rect.bottom())), class_name)


def moved_box(box: Box, rect: QRectF) -> Box:
    """``box`` moved so that its top-left corner is ``rect``'s (its size stays exactly as it was)."""
    start = box_rect(box)
    dx, dy = rect.left() - start.left(), rect.top() - start.top()
    return Box(box.x0 + dx, box.y0 + dy, box.x1 + dx, box.y1 + dy, box.class_name)


def handle_at(rect: QRectF, view_point: QPointF, to_view: Callable[[QPointF], QPoint]) -> str:
    """The handle of ``rect`` within reach of ``view_point`` (view pixels; ``to_view`` maps scene to view), or ''."""
    for name, point in handle_points(rect).items():
        if QLineF(QPointF(to_view(point)), view_point).length() <= HANDLE_SIZE:
            return name
    return ""


def box_at(items: list[BoxItem], point: QPointF, slack: float) -> int | None:
    """The smallest box within ``slack`` (scene units) of ``point``, so nested boxes stay reachable; None if none."""
    found = [(item.rect().width() * item.rect().height(), index) for index, item in enumerate(items)
             if item.rect().adjusted(-slack, -slack, slack, slack).contains(point)]
    return min(found)[1] if found else None


def text_colour_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    light = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor(Qt.GlobalColor.black) if light > 150 else QColor(Qt.GlobalColor.white)


class TagItem(QGraphicsItem):
    """A box's class name on a patch of its colour, just above its top-left corner, at screen size."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.font = QFont()
        self.font.setPixelSize(11)
        self.font.setBold(True)
        self.text = ""
        self.colour = QColor()
        self._size = QRectF()

    def set_text(self, text: str, colour: QColor) -> None:
        """Show ``text`` on ``colour``."""
        self.prepareGeometryChange()
        self.text, self.colour = text, colour
        width = QFontMetricsF(self.font).horizontalAdvance(text) + 6 if text else 0.0
        self._size = QRectF(0, -15, width, 15)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return self._size

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text:
            return
        painter.fillRect(self._size, self.colour)
        painter.setPen(text_colour_on(self.colour))
        painter.setFont(self.font)
        painter.drawText(self._size.adjusted(3, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, self.text)


class BoxItem(QGraphicsRectItem):
    """One box: its rectangle (scene = image pixels), class tag, and handles while selected."""

    def __init__(self, rect: QRectF, class_name: str, colour: str, draft: bool = False) -> None:
        super().__init__(rect)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.class_name = class_name
        self.colour = QColor(colour)
        self.draft = draft  # the box being drawn: dashed, no tag
        self.selected = False
        self.tag = TagItem(self)
        self.handles: dict[str, QGraphicsRectItem] = {}
        for name in HANDLES:
            handle = QGraphicsRectItem(-HANDLE_SIZE / 2, -HANDLE_SIZE / 2, HANDLE_SIZE, HANDLE_SIZE, self)
            handle.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            handle.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            handle.setBrush(QBrush(QColor(Qt.GlobalColor.white)))
            handle.setVisible(False)
            self.handles[name] = handle
        self._restyle()
        self.set_rect(rect)

    def set_rect(self, rect: QRectF) -> None:
        """Move the box (and its tag and handles) to ``rect``."""
        rect = rect.normalized()
        self.setRect(rect)
        self.tag.setPos(rect.topLeft())
        for name, point in handle_points(rect).items():
            self.handles[name].setPos(point)

    def set_class(self, class_name: str, colour: str) -> None:
        """Give the box another class and colour."""
        self.class_name, self.colour = class_name, QColor(colour)
        self._restyle()

    def set_selected(self, selected: bool) -> None:
        """Show or hide the resize handles and the thicker outline of a selected box."""
        self.selected = selected
        for handle in self.handles.values():
            handle.setVisible(selected)
        self._restyle()

    def _restyle(self) -> None:
        pen = QPen(self.colour, 3 if self.selected else 2)
        pen.setCosmetic(True)  # same width on screen at any zoom
        if self.draft:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        fill = QColor(self.colour)
        fill.setAlpha(40 if self.selected else 0)
        self.setBrush(QBrush(fill) if self.selected else QBrush(Qt.BrushStyle.NoBrush))
        self.tag.set_text("" if self.draft else self.class_name, self.colour)
        handle_pen = QPen(self.colour, 1)
        handle_pen.setCosmetic(True)
        for handle in self.handles.values():
            handle.setPen(handle_pen)
