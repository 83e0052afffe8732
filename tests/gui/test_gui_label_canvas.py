"""The Label canvas's box tool, zoom and pan, driven by real mouse and key events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from cnnstudio.core.labels.label_set import Box, ImageLabel
from tests.gui.label_canvas_helpers import click, colour_of, drag, line, photo, shown_canvas, view_point


def recorded(canvas) -> list[tuple[str, ImageLabel]]:
    edits: list[tuple[str, ImageLabel]] = []
    canvas.label_edited.connect(lambda step, label: edits.append((step, label)))
    return edits


def wheel(canvas, where: QPoint, delta: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A wheel turn at viewport point ``where``, sent through the window like a real one."""
    window = canvas.window()
    QTest.wheelEvent(window.windowHandle(), QPointF(canvas.viewport().mapTo(window, where)), QPoint(0, delta),
                     QPoint(0, 0), modifiers)


def assert_box(box: Box, expected: tuple[float, float, float, float], class_name: str = "cat") -> None:
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx(expected, abs=2)
    assert box.class_name == class_name


def test_a_drag_on_empty_space_draws_one_box_in_image_pixels(qtbot):
    canvas = shown_canvas(qtbot)
    edits = recorded(canvas)
    drag(qtbot, canvas, line((50, 60), (150, 140), 10))
    assert [step for step, _ in edits] == ["Draw box"]  # one step for the whole drag
    (box,) = edits[0][1].boxes
    assert_box(box, (50, 60, 150, 140))
    assert canvas.selected_box_index() == 0
    assert canvas.label().boxes == edits[0][1].boxes


def test_a_box_drawn_right_to_left_past_the_edge_is_normalised_and_clipped(qtbot):
    canvas = shown_canvas(qtbot)
    canvas.zoom_out()
    canvas.zoom_out()  # room around the image to drag in
    edits = recorded(canvas)
    drag(qtbot, canvas, line((350, 250), (430, 320), 8)[::-1])  # from outside the image, up-left
    (box,) = edits[0][1].boxes
    assert_box(box, (350, 250, 400, 300))


def test_a_click_or_a_tiny_drag_makes_no_box(qtbot):
    canvas = shown_canvas(qtbot)
    edits = recorded(canvas)
    click(qtbot, canvas, 100, 100)
    drag(qtbot, canvas, line((200, 200), (201, 201), 2))
    assert edits == []
    assert canvas.label().boxes == ()


def test_dragging_a_box_moves_it_and_keeps_it_inside_the_image(qtbot):
    label = ImageLabel(status="labelled", boxes=(Box(100, 100, 160, 140, "dog"),))
    canvas = shown_canvas(qtbot, label=label)
    canvas.zoom_out()
    canvas.zoom_out()  # room around the image to drag in
    edits = recorded(canvas)
    drag(qtbot, canvas, line((130, 120), (180, 150), 5))
    assert [step for step, _ in edits] == ["Move box"]
    assert_box(edits[0][1].boxes[0], (150, 130, 210, 170), "dog")
    assert canvas.selected_box_index() == 0
    drag(qtbot, canvas, line((180, 150), (500, 150), 5))  # far past the right edge
    assert_box(edits[1][1].boxes[0], (340, 130, 400, 170), "dog")
    assert label.boxes[0] == Box(100, 100, 160, 140, "dog")  # the given label never changes


def test_dragging_a_corner_handle_of_the_selected_box_resizes_it(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(100, 100, 160, 140, "cat"),)))
    edits = recorded(canvas)
    click(qtbot, canvas, 130, 120)  # select
    assert canvas.selected_box_index() == 0
    assert edits == []  # selecting is not an edit
    drag(qtbot, canvas, line((160, 140), (220, 200), 6))  # the bottom-right handle
    assert [step for step, _ in edits] == ["Resize box"]
    assert_box(edits[0][1].boxes[0], (100, 100, 220, 200))
    drag(qtbot, canvas, line((100, 150), (60, 150), 4))  # the left edge's handle
    assert_box(edits[1][1].boxes[0], (60, 100, 220, 200))


def test_select_then_delete_key_removes_the_box(qtbot):
    boxes = (Box(20, 20, 80, 80, "cat"), Box(200, 150, 300, 250, "dog"))
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=boxes))
    edits = recorded(canvas)
    selections: list[object] = []
    canvas.selection_changed.connect(selections.append)
    click(qtbot, canvas, 250, 200)
    assert canvas.selected_box_index() == 1
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert [step for step, _ in edits] == ["Delete box"]
    assert edits[0][1].boxes == (boxes[0],)
    assert canvas.selected_box_index() is None
    assert selections == [1, None]
    click(qtbot, canvas, 50, 50)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert edits[-1][1].boxes == ()


def test_clicking_empty_space_or_escape_deselects(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(20, 20, 80, 80, "cat"),)))
    click(qtbot, canvas, 50, 50)
    assert canvas.selected_box_index() == 0
    click(qtbot, canvas, 300, 200)
    assert canvas.selected_box_index() is None
    click(qtbot, canvas, 50, 50)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.selected_box_index() is None


def test_the_smallest_box_under_the_cursor_is_the_one_selected(qtbot):
    boxes = (Box(10, 10, 390, 290, "cat"), Box(100, 100, 140, 140, "dog"))
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=boxes))
    click(qtbot, canvas, 120, 120)
    assert canvas.selected_box_index() == 1
    edits = recorded(canvas)
    drag(qtbot, canvas, line((200, 200), (260, 250), 5), modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert [step for step, _ in edits] == ["Draw box"]  # Shift draws even inside a box
    assert len(edits[0][1].boxes) == 3


def test_changing_the_selected_box_class(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(20, 20, 80, 80, "cat"),)))
    edits = recorded(canvas)
    canvas.set_selected_box_class("dog")  # nothing selected: nothing happens
    assert edits == []
    click(qtbot, canvas, 50, 50)
    canvas.set_selected_box_class("dog")
    canvas.set_selected_box_class("dog")  # the same class again is no step
    assert [step for step, _ in edits] == ["Change box class"]
    assert edits[0][1].boxes == (Box(20, 20, 80, 80, "dog"),)


def test_arrow_keys_nudge_the_selected_box(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(20, 20, 80, 80, "cat"),)))
    edits = recorded(canvas)
    click(qtbot, canvas, 50, 50)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert [step for step, _ in edits] == ["Move box", "Move box"]
    assert edits[-1][1].boxes == (Box(21, 30, 81, 90, "cat"),)


def test_set_label_redraws_without_resetting_the_zoom(qtbot):
    canvas = shown_canvas(qtbot)
    drag(qtbot, canvas, line((50, 60), (150, 140), 4))
    canvas.zoom_in()
    scale = canvas.zoom_factor()
    canvas.set_label(ImageLabel())  # an Undo
    assert canvas.label().boxes == ()
    assert canvas.selected_box_index() is None
    assert canvas.zoom_factor() == pytest.approx(scale)


def test_zoom_in_out_fit_and_actual_change_the_scale(qtbot):
    canvas = shown_canvas(qtbot)
    fitted = canvas.zoom_factor()
    assert fitted == pytest.approx(min(800 / 400, 600 / 300), rel=0.02)
    canvas.zoom_in()
    assert canvas.zoom_factor() == pytest.approx(fitted * 1.25)
    assert not canvas.is_fitted()
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom_factor() == pytest.approx(fitted / 1.25)
    canvas.zoom_actual()
    assert canvas.transform().m11() == pytest.approx(1.0)
    canvas.zoom_fit()
    assert canvas.zoom_factor() == pytest.approx(fitted)
    assert canvas.is_fitted()


def test_ctrl_wheel_zooms_around_the_cursor_and_a_plain_wheel_scrolls(qtbot):
    canvas = shown_canvas(qtbot, width=2000, height=1500)
    canvas.zoom_actual()
    anchor = view_point(canvas, 700, 500)
    under = canvas.mapToScene(anchor)
    before = canvas.zoom_factor()
    wheel(canvas, anchor, 120, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom_factor() == pytest.approx(before * 1.25)
    after = canvas.mapToScene(anchor)
    assert (after.x(), after.y()) == pytest.approx((under.x(), under.y()), abs=2)
    top = canvas.verticalScrollBar().value()
    wheel(canvas, anchor, -120)
    assert canvas.zoom_factor() == pytest.approx(before * 1.25)
    assert canvas.verticalScrollBar().value() > top


def test_middle_drag_pans_in_any_tool(qtbot):
    canvas = shown_canvas(qtbot, width=2000, height=1500, tool="brush")
    canvas.zoom_actual()
    edits = recorded(canvas)
    centre = canvas.viewport().rect().center()
    before = canvas.mapToScene(centre)
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(viewport, centre + QPoint(-100, -50))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                       centre + QPoint(-100, -50))
    after = canvas.mapToScene(centre)
    assert (after.x() - before.x(), after.y() - before.y()) == pytest.approx((100, 50), abs=1)
    assert edits == []  # panning paints nothing


def test_space_and_left_drag_pans_and_the_view_tool_pans_with_left_drag(qtbot):
    canvas = shown_canvas(qtbot, width=2000, height=1500)
    canvas.zoom_actual()
    edits = recorded(canvas)
    centre = QPointF(canvas.viewport().rect().center())
    before = canvas.mapToScene(centre.toPoint())
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    drag(qtbot, canvas, [(before.x(), before.y()), (before.x() + 60, before.y() + 40)])
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    moved = canvas.mapToScene(centre.toPoint())
    assert (before.x() - moved.x(), before.y() - moved.y()) == pytest.approx((60, 40), abs=1)
    canvas.set_tool("view")
    drag(qtbot, canvas, [(moved.x(), moved.y()), (moved.x() + 30, moved.y())])
    assert canvas.mapToScene(centre.toPoint()).x() == pytest.approx(moved.x() - 30, abs=1)
    assert edits == []


def test_a_new_image_is_fitted_while_the_zoom_is_fit(qtbot):
    canvas = shown_canvas(qtbot)
    canvas.show_image(photo(2000, 1500), ImageLabel(), colour_of)
    assert canvas.zoom_factor() == pytest.approx(0.4, rel=0.02)
    canvas.resize(400, 300)
    assert canvas.zoom_factor() == pytest.approx(0.2, rel=0.03)  # fit follows the view's size


def test_unknown_tool_is_refused(qtbot):
    canvas = shown_canvas(qtbot)
    with pytest.raises(ValueError, match="tool"):
        canvas.set_tool("magic wand")


def test_escape_during_a_move_puts_the_box_back_and_makes_no_step(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(100, 100, 160, 140, "cat"),)))
    edits = recorded(canvas)
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_point(canvas, 130, 120))
    QTest.mouseMove(viewport, view_point(canvas, 200, 200))
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       view_point(canvas, 200, 200))
    assert edits == []
    drag(qtbot, canvas, line((130, 120), (140, 130), 3))  # the box is still where it was
    assert_box(edits[0][1].boxes[0], (110, 110, 170, 150))


def test_resizing_a_box_below_three_pixels_is_refused(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(boxes=(Box(100, 100, 160, 140, "cat"),)))
    edits = recorded(canvas)
    click(qtbot, canvas, 130, 120)
    drag(qtbot, canvas, line((160, 120), (101, 120), 5))  # the right edge almost onto the left one
    assert edits == []
    assert canvas.label().boxes == (Box(100, 100, 160, 140, "cat"),)


def test_without_a_current_class_a_drag_draws_nothing(qtbot):
    canvas = shown_canvas(qtbot, current=None)
    edits = recorded(canvas)
    drag(qtbot, canvas, line((50, 60), (150, 140), 5))
    assert edits == []


def test_a_mask_of_another_size_than_the_image_is_refused(qtbot):
    canvas = shown_canvas(qtbot)
    with pytest.raises(ValueError, match="mask"):
        canvas.set_label(ImageLabel(mask=np.zeros((10, 10), np.uint8)))
