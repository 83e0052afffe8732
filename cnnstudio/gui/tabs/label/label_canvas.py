"""The Label tab's canvas: one photo with its label's boxes and mask, edited with the mouse.

Tools (``set_tool``): ``view`` (left drag pans), ``box`` (drag to draw, drag a
box to move it, drag a handle to resize it, click to select), ``brush`` and
``eraser`` (paint the mask with a round brush), ``lasso`` (a polygon filled
into the mask). Every completed gesture emits ``label_edited`` once, with the
name of the step (for Undo) and the whole new ImageLabel; the canvas never
changes a label it was given, it makes new ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QWidget

from cnnstudio.core.labels.label_set import ImageLabel
from cnnstudio.gui.tabs.label.box_items import (
    HANDLE_CURSORS,
    BoxItem,
    box_at,
    box_rect,
    handle_at,
    moved_box,
    resized,
    rounded_box,
)
from cnnstudio.gui.tabs.label.mask_edit import MaskEdit, brush_cursor, classed, mask_class
from cnnstudio.gui.tabs.label.mask_layer import ImageItem, MaskItem
from cnnstudio.gui.tabs.label.zoom_view import ZoomView
from cnnstudio.gui.widgets import palette

TOOLS = ("view", "box", "brush", "eraser", "lasso")
MIN_BOX = 3  # image pixels: a smaller drag is a click
DRAG_START = 4  # view pixels a press must move before it counts as a drag
NUDGE_KEYS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


class LabelCanvas(ZoomView):
    """Shows one image with its label and edits the label with the current tool.

    ``label_edited(step, label)``: one per finished gesture (e.g. "Draw box", "Brush stroke").
    ``selection_changed(index)``: the selected box's index, or None.
    """

    label_edited = Signal(str, object)
    selection_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image_item, self._mask_item = ImageItem(), MaskItem()
        self._mask_item.setZValue(1)  # over the photo (0), under the boxes (2)
        self.scene().addItem(self._image_item)
        self.scene().addItem(self._mask_item)
        self._masks = MaskEdit(self._mask_item, self.scene())
        self._label = ImageLabel()
        self._colour_of: Callable[[str | None], str] = lambda name: palette.MUTED  # until show_image
        self._size = (0, 0)  # image width, height
        self._tool = "box"
        self._class: str | None = None
        self._brush = 20
        self._selected: int | None = None
        self._boxes: list[BoxItem] = []
        self._draft: BoxItem | None = None
        self._gesture: str | None = None
        self._press_view, self._press_scene, self._dragged = QPointF(), QPointF(), False
        self._origin, self._handle = QRectF(), ""  # the box being moved or resized, as it was; its handle
        self.stroke_frame_ms: list[float] = []
        self.update_cursor()

    # ---- what is shown ------------------------------------------------------------------
    def show_image(self, image: QImage, label: ImageLabel, colour_of: Callable[[str | None], str]) -> None:
        """Show ``image`` (full size) with ``label``; classes are drawn in ``colour_of(name)`` (#rrggbb)."""
        self._cancel_gesture()
        self._colour_of = colour_of
        self._image_item.set_image(image)
        self._size = (image.width(), image.height())
        self.setSceneRect(QRectF(0, 0, image.width(), image.height()))
        self._selected = None
        self._show_label(label)
        if self.is_fitted():
            self.zoom_fit()
        self.selection_changed.emit(None)

    def set_label(self, label: ImageLabel) -> None:
        """Show ``label`` on the same image (after Undo or Redo), keeping the zoom and, if it still exists, the selection."""
        self._cancel_gesture()
        before = self._selected
        self._show_label(label)
        if before is not None and before >= len(label.boxes):
            self._select(None)

    def label(self) -> ImageLabel:
        """The label as shown now."""
        return self._label

    def _show_label(self, label: ImageLabel) -> None:
        if label.mask is not None and label.mask.shape != (self._size[1], self._size[0]):
            raise ValueError(f"the mask is {label.mask.shape[1]}x{label.mask.shape[0]} px, the image "
                             f"{self._size[0]}x{self._size[1]} px")
        self._label = label
        for item in self._boxes:
            self.scene().removeItem(item)
        self._boxes = []
        for index, box in enumerate(label.boxes):
            item = BoxItem(box_rect(box), box.class_name, self._colour_of(box.class_name))
            item.setZValue(2)
            item.set_selected(index == self._selected)
            self.scene().addItem(item)
            self._boxes.append(item)
        self._mask_item.set_mask(label.mask, self._colour_of(mask_class(label, self._class)))

    def _commit(self, step: str, label: ImageLabel) -> None:
        self._show_label(label)
        self.label_edited.emit(step, label)

    # ---- tools --------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Use tool ``name``: one of view, box, brush, eraser, lasso."""
        if name not in TOOLS:
            raise ValueError(f"tool must be one of {TOOLS}, got {name!r}")
        self._cancel_gesture()
        self._tool = name
        self.update_cursor()

    def tool(self) -> str:
        """The tool in use."""
        return self._tool

    def set_current_class(self, name: str | None) -> None:
        """The class new boxes and painted masks get (a good image's mask is shown in its colour)."""
        self._class = name
        if self._masks.working is None:
            self._mask_item.set_mask(self._label.mask, self._colour_of(mask_class(self._label, self._class)))

    def set_brush_size(self, pixels: int) -> None:
        """The brush and eraser diameter, in image pixels."""
        self._brush = max(1, int(pixels))
        self.update_cursor()

    def brush_size(self) -> int:
        """The brush and eraser diameter, in image pixels."""
        return self._brush

    # ---- boxes --------------------------------------------------------------------------
    def selected_box_index(self) -> int | None:
        """The index (in the label's boxes) of the selected box, or None."""
        return self._selected

    def set_selected_box_class(self, name: str) -> None:
        """Give the selected box class ``name`` (one "Change box class" step)."""
        self._cancel_gesture()
        if self._selected is None or self._label.boxes[self._selected].class_name == name:
            return
        self._finish_box_change("Change box class", box_rect(self._label.boxes[self._selected]), name)

    def delete_selected_box(self) -> None:
        """Delete the selected box (one "Delete box" step)."""
        self._cancel_gesture()
        if self._selected is None:
            return
        boxes = list(self._label.boxes)
        del boxes[self._selected]
        self._selected = None
        self._commit("Delete box", replace(self._label, boxes=tuple(boxes)))
        self.selection_changed.emit(None)

    def _select(self, index: int | None) -> None:
        if index == self._selected:
            return
        self._selected = index
        for number, item in enumerate(self._boxes):
            item.set_selected(number == index)
        self.selection_changed.emit(index)

    def _clip(self, point: QPointF) -> QPointF:
        width, height = self._size
        return QPointF(min(max(point.x(), 0.0), width), min(max(point.y(), 0.0), height))

    def _handle_at(self, view_point: QPointF) -> str:
        """The selected box's handle under ``view_point`` (view pixels), or ''."""
        if self._selected is None:
            return ""
        return handle_at(self._boxes[self._selected].rect(), view_point, self.mapFromScene)

    def _nudge(self, dx: int, dy: int) -> None:
        rect = self._boxes[self._selected].rect()  # type: ignore[index]
        width, height = self._size
        dx = min(max(dx, -rect.left()), width - rect.right())
        dy = min(max(dy, -rect.top()), height - rect.bottom())
        if dx or dy:
            self._finish_box_change("Move box", rect.translated(dx, dy))

    def _finish_box_change(self, step: str, rect: QRectF, class_name: str = "") -> None:
        """Replace the selected box by one at ``rect`` (moved, resized, or given ``class_name``), as one step."""
        index = self._selected
        assert index is not None
        old = self._label.boxes[index]
        new = (rounded_box(rect, old.class_name) if step == "Resize box" else
               replace(moved_box(old, rect), class_name=class_name or old.class_name))
        if new == old or (step == "Resize box" and min(new.x1 - new.x0, new.y1 - new.y0) < MIN_BOX):  # too small
            self._boxes[index].set_rect(box_rect(old))
            return
        self._commit(step, replace(self._label, boxes=tuple(new if number == index else box
                                                             for number, box in enumerate(self._label.boxes))))

    # ---- mouse --------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        self.setFocus()
        if self._gesture is not None:  # a second button during a gesture: ignore it
            return
        if self.starts_pan(event) or (event.button() == Qt.MouseButton.LeftButton and self._tool == "view"):
            self.begin_pan(event)
            return
        if event.button() != Qt.MouseButton.LeftButton or self._size[0] == 0:
            return
        self._press_view = event.position()
        self._press_scene = self.scene_at(event.position())
        self._dragged = False
        if self._tool == "box":
            self._press_box(event)
        elif self._tool in ("brush", "eraser"):
            self._gesture = "paint"
            self.stroke_frame_ms = []
            self._begin_mask_edit()
            self._masks.last = self._press_scene
            self._stroke_to(self._press_scene)
        elif self._tool == "lasso":
            self._gesture = "lasso"
            self._masks.lasso.append(self._press_scene)
            self._masks.draw_lasso()

    def _press_box(self, event: QMouseEvent) -> None:
        handle = self._handle_at(event.position())
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # Shift: always draw a new box
        index = None if handle or shift else box_at(self._boxes, self._press_scene, 3 / self.zoom_factor())
        if handle:
            self._gesture, self._handle = "resize", handle
        elif index is not None:
            self._select(index)
            self._gesture = "move"
        else:
            self._gesture = "draw"
            return
        self._origin = self._boxes[self._selected].rect()  # type: ignore[index]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.pan_to(event):
            return
        point = event.position()
        scene = self.scene_at(point)
        if self._gesture is None:
            self._hover(point, scene)
            return
        if not self._dragged and QLineF(point, self._press_view).length() >= DRAG_START:
            self._dragged = True
        if self._gesture == "paint":
            started = time.perf_counter()
            self._stroke_to(scene)
            self.stroke_frame_ms.append((time.perf_counter() - started) * 1000)
        elif self._gesture == "lasso":
            if self._dragged and QLineF(self.mapFromScene(self._masks.lasso[-1]).toPointF(), point).length() >= 2:
                self._masks.lasso.append(scene)
            self._masks.draw_lasso()
        elif self._gesture == "draw" and self._dragged:
            rect = QRectF(self._clip(self._press_scene), self._clip(scene)).normalized()
            if self._draft is None:
                self._draft = BoxItem(rect, "", self._colour_of(self._class), draft=True)
                self._draft.setZValue(3)
                self.scene().addItem(self._draft)
            self._draft.set_rect(rect)
        elif self._gesture == "move":
            width, height = self._size
            dx = min(max(scene.x() - self._press_scene.x(), -self._origin.left()), width - self._origin.right())
            dy = min(max(scene.y() - self._press_scene.y(), -self._origin.top()), height - self._origin.bottom())
            self._boxes[self._selected].set_rect(self._origin.translated(round(dx), round(dy)))  # type: ignore[index]
        elif self._gesture == "resize":
            self._boxes[self._selected].set_rect(  # type: ignore[index]
                resized(self._origin, self._handle, self._clip(scene)).normalized())

    def _hover(self, point: QPointF, scene: QPointF) -> None:
        if self._tool == "lasso" and self._masks.lasso:
            self._masks.draw_lasso(scene)
        elif self._tool == "box" and not self._space_held:
            handle = self._handle_at(point)
            self.viewport().setCursor(HANDLE_CURSORS[handle] if handle else Qt.CursorShape.CrossCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.end_pan():
            return
        if event.button() != Qt.MouseButton.LeftButton or self._gesture is None:
            return
        gesture, self._gesture = self._gesture, None
        scene = self.scene_at(event.position())
        if gesture == "paint":
            self._stroke_to(scene)
            self._end_mask_edit("Erase" if self._tool == "eraser" else "Brush stroke")
        elif gesture == "lasso":
            if self._dragged:
                self._close_lasso()
        elif gesture == "draw":
            self._end_draw(scene)
        elif gesture in ("move", "resize") and self._dragged:
            self._finish_box_change("Move box" if gesture == "move" else "Resize box",
                                    self._boxes[self._selected].rect())  # type: ignore[index]
        elif gesture in ("move", "resize"):
            self._boxes[self._selected].set_rect(self._origin)  # type: ignore[index]

    def _end_draw(self, scene: QPointF) -> None:
        if self._draft is not None:
            self.scene().removeItem(self._draft)
            self._draft = None
        rect = QRectF(self._clip(self._press_scene), self._clip(scene)).normalized()
        box = rounded_box(rect, self._class or "")
        if not self._dragged or self._class is None or box.x1 - box.x0 < MIN_BOX or box.y1 - box.y0 < MIN_BOX:
            self._select(None)  # a click on empty space: nothing selected
            return
        self._selected = len(self._label.boxes)
        self._commit("Draw box", replace(self._label, boxes=(*self._label.boxes, box)))
        self.selection_changed.emit(self._selected)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._tool == "lasso" and event.button() == Qt.MouseButton.LeftButton and self._masks.lasso:
            self._gesture = None
            self._close_lasso()
            return
        self.mousePressEvent(event)

    # ---- mask ---------------------------------------------------------------------------
    def _begin_mask_edit(self) -> None:
        self._masks.begin(self._label.mask, self._size, self._colour_of(mask_class(self._label, self._class)))

    def _end_mask_edit(self, step: str) -> None:
        mask = self._masks.finish()
        if mask is None:
            self._show_label(self._label)  # nothing changed: show the label's own mask again
        else:
            painted = self._label if step == "Erase" else classed(self._label, self._class)  # erasing keeps the class
            self._commit(step, replace(painted, mask=mask))

    def _stroke_to(self, point: QPointF) -> None:
        self._masks.stroke_to(point, self._brush / 2, 0 if self._tool == "eraser" else 1)

    def close_lasso(self) -> bool:
        """Fill the lasso being drawn (Enter); False when none is open."""
        if not self._masks.lasso:
            return False
        self._gesture = None
        self._close_lasso()
        return True

    def _close_lasso(self) -> None:
        points = self._masks.take_lasso()
        if len(points) >= 3:
            self._begin_mask_edit()
            self._masks.fill(points)
            self._end_mask_edit("Lasso fill")

    def _cancel_gesture(self) -> None:
        """Drop a gesture in progress without a step (Escape, or a new image, tool or label came)."""
        gesture, self._gesture = self._gesture, None
        if gesture in ("move", "resize") and self._selected is not None:
            self._boxes[self._selected].set_rect(self._origin)
        self._masks.clear_lasso()
        if self._draft is not None:
            self.scene().removeItem(self._draft)
            self._draft = None
        if self._masks.working is not None:  # a mask edit under way: drop it, show the label's own mask
            self._masks.finish()
            self._show_label(self._label)

    # ---- keys and cursor ----------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected is not None and not self._gesture:
            self.delete_selected_box()
        elif key == Qt.Key.Key_Escape:
            if self._masks.lasso or self._gesture is not None:
                self._cancel_gesture()
            else:
                self._select(None)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._masks.lasso:
            self._gesture = None
            self._close_lasso()
        elif key in NUDGE_KEYS and self._selected is not None and self._gesture is None:
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            dx, dy = NUDGE_KEYS[key]  # type: ignore[index]
            self._nudge(dx * step, dy * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def update_cursor(self) -> None:
        """The cursor of the current tool: a hand, a crosshair, or the brush's outline at its size on screen."""
        tool = getattr(self, "_tool", "view")  # ZoomView may ask before __init__ has set it
        if self._space_held or tool == "view":
            super().update_cursor()
        elif tool in ("brush", "eraser"):
            self.viewport().setCursor(brush_cursor(self._brush * self.zoom_factor()))
        else:
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)

