"""A QGraphicsView that zooms (Ctrl+wheel, fit, 100%) and pans (middle drag, Space + left drag).

The Label canvas builds on it; scene coordinates are image pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.01, 40.0
SMOOTH_BELOW = 2.0  # zoomed in further, pixels show as squares so a person can label them exactly


class ZoomView(QGraphicsView):
    """A view of one image (the scene rect) with zoom and pan; ``zoom_changed`` gives the new scale."""

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # a handful of items
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor(Qt.GlobalColor.darkGray)))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self._fit = True
        self._space_held = False
        self._pan_from: QPoint | None = None

    # ---- zoom ---------------------------------------------------------------------------
    def zoom_factor(self) -> float:
        """The current scale: view pixels per image pixel."""
        return self.transform().m11()

    def is_fitted(self) -> bool:
        """True while the zoom follows the view's size (zoom to fit)."""
        return self._fit

    def zoom_in(self) -> None:
        """Zoom in one step around the view's centre."""
        self._zoom_to(self.zoom_factor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out one step around the view's centre."""
        self._zoom_to(self.zoom_factor() / ZOOM_STEP)

    def zoom_actual(self) -> None:
        """Show the image at 100% (one image pixel per screen pixel)."""
        self._zoom_to(1.0)

    def zoom_fit(self) -> None:
        """Fit the whole image in the view, and keep it fitted when the view or the image changes."""
        self._fit = True
        rect = self.sceneRect()
        if rect.width() > 0 and rect.height() > 0 and self.viewport().width() > 0:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._scale_changed()

    def _zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Set the scale, keeping the image point under ``anchor`` (view pixels; default the centre) in place."""
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        anchor = QPointF(self.viewport().rect().center()) if anchor is None else anchor
        before = self.scene_at(anchor)
        self._fit = False
        self.setTransform(QTransform.fromScale(scale, scale))
        moved = self.mapFromScene(before) - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())
        self._scale_changed()

    def _scale_changed(self) -> None:
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom_factor() < SMOOTH_BELOW)
        self.update_cursor()
        self.zoom_changed.emit(self.zoom_factor())

    def scene_at(self, point: QPointF) -> QPointF:
        """The scene (image pixel) point under ``point`` in viewport pixels, without rounding."""
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(point)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._fit:
            self.zoom_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self._zoom_to(self.zoom_factor() * ZOOM_STEP ** steps, event.position())
            event.accept()
            return
        super().wheelEvent(event)  # plain wheel scrolls

    # ---- pan ----------------------------------------------------------------------------
    def starts_pan(self, event: QMouseEvent) -> bool:
        """True when this press pans: the middle button, or the left button while Space is held."""
        button = event.button()
        return button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held)

    def begin_pan(self, event: QMouseEvent) -> None:
        """Start dragging the image with the mouse."""
        self._pan_from = event.position().toPoint()
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def pan_to(self, event: QMouseEvent) -> bool:
        """Follow a pan drag; False when no pan is under way."""
        if self._pan_from is None:
            return False
        now = event.position().toPoint()
        moved = now - self._pan_from
        self._pan_from = now
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - moved.y())
        return True

    def end_pan(self) -> bool:
        """Finish a pan drag; False when none was under way."""
        if self._pan_from is None:
            return False
        self._pan_from = None
        self.update_cursor()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space_held = True
                self.update_cursor()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space_held = False
                self.update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def update_cursor(self) -> None:
        """Show the cursor of what a left drag does now (subclasses add their tools)."""
        self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
