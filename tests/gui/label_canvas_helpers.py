"""Helpers for the Label canvas tests: a shown canvas and real mouse drags in image coordinates."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from cnnstudio.core.labels.label_set import ImageLabel
from cnnstudio.gui.tabs.label.label_canvas import LabelCanvas

COLOURS = {"cat": "#e6194b", "dog": "#3cb44b", "scratch": "#4363d8"}


def colour_of(name: str | None) -> str:
    return COLOURS.get(name or "", "#808080")


def photo(width: int, height: int) -> QImage:
    """A plain synthetic photo of one grey-blue colour."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(90, 110, 130))
    return image


def shown_canvas(qtbot, width: int = 400, height: int = 300, label: ImageLabel | None = None,
                 tool: str = "box", current: str | None = "cat") -> LabelCanvas:
    """A LabelCanvas 800x600, shown and exposed, showing a ``width`` x ``height`` photo."""
    canvas = LabelCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.show_image(photo(width, height), label or ImageLabel(), colour_of)
    canvas.set_tool(tool)
    canvas.set_current_class(current)
    return canvas


def view_point(canvas: LabelCanvas, x: float, y: float) -> QPoint:
    """The viewport point showing image pixel (x, y)."""
    return canvas.mapFromScene(QPointF(x, y))


def drag(qtbot, canvas: LabelCanvas, points: list[tuple[float, float]],
         button: Qt.MouseButton = Qt.MouseButton.LeftButton,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first image point, move through the others with the button held, release at the last."""
    viewport = canvas.viewport()
    where = [view_point(canvas, x, y) for x, y in points]
    qtbot.mousePress(viewport, button, modifiers, where[0])
    for point in where[1:]:
        QTest.mouseMove(viewport, point)  # Qt 6 sends the held button with the move
    qtbot.mouseRelease(viewport, button, modifiers, where[-1])


def click(qtbot, canvas: LabelCanvas, x: float, y: float) -> None:
    """A left click on image pixel (x, y)."""
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view_point(canvas, x, y))


def line(start: tuple[float, float], end: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    """``steps`` + 1 points from ``start`` to ``end``."""
    return [(start[0] + (end[0] - start[0]) * t / steps, start[1] + (end[1] - start[1]) * t / steps)
            for t in range(steps + 1)]
