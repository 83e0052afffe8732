"""The Label canvas's mask tools (brush, eraser, lasso), driven by real mouse and key events."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from cnnstudio.core.labels.label_set import ImageLabel
from tests.gui.label_canvas_helpers import click, colour_of, drag, line, photo, shown_canvas, view_point


def recorded(canvas) -> list[tuple[str, ImageLabel]]:
    edits: list[tuple[str, ImageLabel]] = []
    canvas.label_edited.connect(lambda step, label: edits.append((step, label)))
    return edits


def shown_colour(canvas, x: float, y: float) -> QColor:
    """The colour the viewport shows at image pixel (x, y)."""
    return canvas.viewport().grab().toImage().pixelColor(view_point(canvas, x, y))


def test_a_fast_brush_stroke_paints_a_gapless_line_and_nothing_far_from_it(qtbot):
    canvas = shown_canvas(qtbot, tool="brush", current="scratch")
    canvas.set_brush_size(10)
    edits = recorded(canvas)
    drag(qtbot, canvas, line((50, 150), (350, 150), 3))  # 100 px between mouse events
    assert [step for step, _ in edits] == ["Brush stroke"]
    label = edits[0][1]
    assert label.class_name == "scratch"  # an unclassed image takes the current class
    mask = label.mask
    assert mask.shape == (300, 400) and mask.dtype == np.uint8
    assert mask[150, 50:351].all() and mask[147:153, 60:340].all()  # the whole path, no gaps
    assert not mask[:, :40].any() and not mask[:, 361:].any()
    assert not mask[:140].any() and not mask[161:].any()
    assert len(canvas.stroke_frame_ms) == 3  # one timing per mouse move


def test_the_brush_shows_in_the_class_colour_and_undo_removes_it(qtbot):
    canvas = shown_canvas(qtbot, tool="brush", current="scratch")
    canvas.set_brush_size(30)
    before = shown_colour(canvas, 200, 150)
    drag(qtbot, canvas, line((100, 150), (300, 150), 4))
    painted = shown_colour(canvas, 200, 150)
    assert painted.blue() > before.blue() + 20  # the scratch class is blue
    canvas.set_label(ImageLabel())  # Undo
    assert shown_colour(canvas, 200, 150) == before


def test_the_eraser_clears_along_its_path_and_leaves_the_given_label_alone(qtbot):
    mask = np.ones((300, 400), np.uint8)
    label = ImageLabel(status="labelled", class_name="scratch", mask=mask)
    canvas = shown_canvas(qtbot, label=label, tool="eraser", current="dog")
    canvas.set_brush_size(20)
    edits = recorded(canvas)
    drag(qtbot, canvas, line((20, 100), (380, 100), 2))
    assert [step for step, _ in edits] == ["Erase"]
    erased = edits[0][1]
    assert erased.class_name == "scratch"  # a defect class stays when the current class differs
    assert not erased.mask[92:109, 20:381].any()
    assert erased.mask[:85].all() and erased.mask[116:].all()
    assert mask.all()  # the label it was given still has its whole mask


def test_erasing_an_image_without_a_mask_gives_an_all_zero_mask(qtbot):
    canvas = shown_canvas(qtbot, tool="eraser")
    edits = recorded(canvas)
    drag(qtbot, canvas, line((100, 100), (200, 100), 2))
    (step, label), = edits
    assert step == "Erase" and label.mask.shape == (300, 400) and not label.mask.any()
    assert label.class_name is None  # erasing gives no class


def test_painting_a_good_image_gives_it_the_current_class(qtbot):
    canvas = shown_canvas(qtbot, label=ImageLabel(status="labelled", class_name="good"), tool="brush",
                          current="scratch")
    edits = recorded(canvas)
    click(qtbot, canvas, 200, 150)  # a click paints one dab
    assert edits[0][1].class_name == "scratch"
    assert edits[0][1].mask[150, 200] == 1


def test_two_strokes_are_two_steps_and_the_second_keeps_the_first(qtbot):
    canvas = shown_canvas(qtbot, tool="brush", current="scratch")
    canvas.set_brush_size(6)
    edits = recorded(canvas)
    drag(qtbot, canvas, line((50, 50), (150, 50), 3))
    drag(qtbot, canvas, line((50, 200), (150, 200), 3))
    assert [step for step, _ in edits] == ["Brush stroke", "Brush stroke"]
    first, second = edits[0][1].mask, edits[1][1].mask
    assert first[50, 100] and not first[200, 100]  # the first step's mask was not changed by the second
    assert second[50, 100] and second[200, 100]


def test_a_lasso_drag_fills_its_inside_only(qtbot):
    canvas = shown_canvas(qtbot, tool="lasso", current="scratch")
    edits = recorded(canvas)
    path = line((100, 50), (300, 50), 10) + line((300, 50), (200, 250), 10)[1:] + line((200, 250), (100, 50), 10)[1:]
    drag(qtbot, canvas, path)
    assert [step for step, _ in edits] == ["Lasso fill"]
    mask = edits[0][1].mask
    assert mask[60, 200] and mask[150, 200] and mask[230, 200]
    assert not mask[240, 110] and not mask[240, 290] and not mask[20, 200] and not mask[:, :95].any()
    area = 0.5 * 200 * 200
    assert abs(int(mask.sum()) - area) < 0.05 * area


def test_lasso_points_clicked_close_with_enter_or_a_double_click(qtbot):
    canvas = shown_canvas(qtbot, tool="lasso", current="scratch")
    edits = recorded(canvas)
    for x, y in ((100, 50), (300, 50), (200, 250)):
        click(qtbot, canvas, x, y)
    assert edits == []  # clicks add points; nothing is filled yet
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert [step for step, _ in edits] == ["Lasso fill"]
    assert edits[0][1].mask[120, 200] and not edits[0][1].mask[240, 110]
    for x, y in ((20, 200), (80, 200), (50, 280)):
        click(qtbot, canvas, x, y)
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      view_point(canvas, 50, 280))
    assert [step for step, _ in edits] == ["Lasso fill", "Lasso fill"]
    second = edits[1][1].mask
    assert second[250, 50] and second[120, 200]  # the second fill keeps the first


def test_escape_cancels_the_lasso(qtbot):
    canvas = shown_canvas(qtbot, tool="lasso", current="scratch")
    edits = recorded(canvas)
    for x, y in ((100, 50), (300, 50), (200, 250)):
        click(qtbot, canvas, x, y)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert edits == []
    assert canvas.label().mask is None


def test_show_image_at_2000_px_with_a_full_mask_and_brush_frame_times(qtbot):
    """Prints timings (never asserted: machines differ); asserts only that the stroke recorded them."""
    canvas = shown_canvas(qtbot, width=2000, height=1500, tool="brush", current="scratch")
    image = photo(2000, 1500)
    mask = np.zeros((1500, 2000), np.uint8)
    mask[200:1300, 300:1700] = 1
    label = ImageLabel(status="labelled", class_name="scratch", mask=mask)
    canvas.show_image(image, label, colour_of)  # warm-up
    times = []
    for _ in range(5):
        fresh = ImageLabel(status="labelled", class_name="scratch", mask=mask.copy())  # as a newly loaded label
        started = time.perf_counter()
        canvas.show_image(image, fresh, colour_of)
        times.append((time.perf_counter() - started) * 1000)
    canvas.set_brush_size(40)
    drag(qtbot, canvas, line((100, 100), (1900, 1400), 60))
    frames = canvas.stroke_frame_ms
    assert len(frames) == 60
    assert canvas.label().mask[1400, 1900] == 1 and canvas.label().mask[100, 1900] == 0
    print(f"\nshow_image 2000x1500 + mask: median {sorted(times)[2]:.1f} ms, max {max(times):.1f} ms; "
          f"brush move: median {sorted(frames)[30]:.2f} ms, max {max(frames):.2f} ms")
