"""Journeys: boxes drawn with the mouse on a dropped folder of shelf photos and saved as YOLO; defect masks
painted with the brush and lasso on brick photos and saved as MVTec-AD; both back on screen after a
restart; and a folder that cannot be written keeps its labels until they are saved elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from journey_driver import Studio
from label_hands import answer_next_input, drag, read_only, wait_for_saved
from PIL import Image
from PySide6.QtCore import Qt
from user_photos import crops, photo


def photos(root: Path, source: str, count: int, side: int, size: int) -> list[str]:
    rng = np.random.default_rng(5)
    root.mkdir(parents=True)
    names = []
    for index, image in enumerate(crops(photo(source), count, side, rng, sizes=(size,))):
        name = f"DSC{index + 1:05d}.jpg"
        image.save(root / name, quality=92)
        names.append(name)
    return names


def open_unlabelled(studio: Studio, qtbot, folder: Path) -> None:  # noqa: ANN001 - qtbot
    """Drop the folder on the Label tab, as from a file manager; it opens there, unlabelled."""
    view = studio.tab(studio.window.label_view)
    with qtbot.waitSignal(studio.controller.dataset_failed, timeout=60_000):
        studio.drop(view, folder)
    studio.wait_for(lambda: view.labels is not None and view.labels.root == folder)


def add_class(studio: Studio, qtbot, name: str) -> None:  # noqa: ANN001 - qtbot
    view = studio.window.label_view
    answer_next_input(qtbot, name)
    studio.press("Ctrl+N", view.canvas)
    studio.wait_for(lambda: name in view.labels.class_names)


def test_boxes_drawn_with_the_mouse_saved_as_yolo_and_back_after_restart(qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "Shelf photos"
    names = photos(folder, "astronaut", 4, 400, 640)
    home = tmp_path / "home"
    studio = Studio.open(qtbot, monkeypatch, home)
    view = studio.window.label_view
    open_unlabelled(studio, qtbot, folder)

    studio.choose(view.toolbar.kind, "Boxes (objects in the image)")
    assert view.labels.kind == "boxes"
    add_class(studio, qtbot, "logo")
    studio.press("B", view.canvas)
    assert view.canvas.tool() == "box"

    # Image 1: one box, dragged; image 2: its boxes copied from image 1 (C) plus one more; image 3: two boxes,
    # one moved; image 4: a box drawn and deleted, so it is a background image (N).
    drag(qtbot, view.canvas, (40, 50), (200, 180))
    studio.press("Right", view.canvas)
    studio.press("C", view.canvas)
    drag(qtbot, view.canvas, (300, 300), (420, 380))
    studio.press("Right", view.canvas)
    drag(qtbot, view.canvas, (10, 10), (110, 90))
    drag(qtbot, view.canvas, (400, 100), (500, 220))
    drag(qtbot, view.canvas, (450, 160), (470, 180))  # moves the second box by (20, 20)
    studio.press("Right", view.canvas)
    drag(qtbot, view.canvas, (100, 100), (300, 300))
    studio.press("Delete", view.canvas)
    studio.press("N", view.canvas)
    saved = wait_for_saved(qtbot, folder, lambda images: len(images) == 4
                           and images.get(names[3], {}).get("status") == "labelled")
    boxes = {name: saved["images"][name].get("boxes", []) for name in names}
    assert [len(boxes[name]) for name in names] == [1, 2, 2, 0]
    assert boxes[names[0]][0][:4] == boxes[names[1]][0][:4]  # copied
    x0, y0, x1, y1, cls = boxes[names[2]][1]
    assert cls == "logo" and abs(x0 - 420) <= 3 and abs(y1 - 240) <= 3  # moved by (20, 20)

    # Save as YOLO: labels/*.txt with one line per box, normalised by the photo's size.
    studio.choose(view.toolbar.layout_box, "YOLO (labelled-yolo/images, labels, data.yaml)")
    studio.click(view.toolbar.save)
    yolo = folder / "labelled-yolo"
    lines = {name: (yolo / "labels" / f"{Path(name).stem}.txt").read_text().split("\n") for name in names}
    assert [len([line for line in lines[name] if line]) for name in names] == [1, 2, 2, 0]
    cx = float(lines[names[0]][0].split()[1])
    assert abs(cx - (40 + 200) / 2 / 640) < 0.01
    assert (yolo / "classes.txt").read_text().split() == ["logo"]
    view.show_image(names[2])
    studio.snapshot("journey_label_boxes")

    studio.close()
    studio = Studio.open(qtbot, monkeypatch, home, wait_for_dataset=False)
    view = studio.window.label_view
    studio.wait_for(lambda: view.labels is not None and len(view.labels.counted()) == 4)
    view.show_image(names[2])
    assert len(view.canvas.label().boxes) == 2 and view.labels.kind == "boxes"


def test_masks_painted_with_brush_and_lasso_saved_as_mvtec(qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "Brick parts"
    names = photos(folder, "brick", 6, 200, 400)
    home = tmp_path / "home"
    studio = Studio.open(qtbot, monkeypatch, home)
    view = studio.window.label_view
    open_unlabelled(studio, qtbot, folder)
    studio.choose(view.toolbar.kind, "Defect masks (paint the defect)")
    add_class(studio, qtbot, "scratch")
    assert view.labels.class_names == ["good", "scratch"]
    studio.press("2", view.canvas)  # the class the brush paints
    studio.press("P", view.canvas)
    studio.type_into(view.toolbar.brush_size, 12)
    view.canvas.setFocus()

    # Three scratched parts: two brush strokes, one lasso; three good parts with G.
    for index, name in enumerate(names):
        assert view.current == name
        if index == 0:
            drag(qtbot, view.canvas, (50, 100), (300, 120))
        elif index == 1:
            drag(qtbot, view.canvas, (200, 50), (220, 350))
        elif index == 2:
            studio.press("L", view.canvas)
            for point in ((100, 100), (300, 100), (200, 300)):
                qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.canvas.mapFromScene(*point))
            studio.press("Return", view.canvas)
        if index < 3:
            studio.press("Right", view.canvas)
        else:
            studio.press("G", view.canvas)
    saved = wait_for_saved(qtbot, folder, lambda images: len(images) == 6)
    assert [saved["images"][n]["class"] for n in names] == ["scratch"] * 3 + ["good"] * 3
    assert all("mask" in saved["images"][n] for n in names[:3])

    studio.choose(view.toolbar.layout_box, "MVTec-AD (labelled-mvtec/train, test, ground_truth)")
    studio.click(view.toolbar.save)
    masks = sorted((folder / "labelled-mvtec" / "ground_truth" / "scratch").glob("*_mask.png"))
    assert len(masks) == 3
    painted = [np.asarray(Image.open(path)) > 0 for path in masks]
    assert all(mask.shape == (400, 400) for mask in painted)
    assert {bool(mask[110, 175]) for mask in painted} >= {True}  # the first stroke's middle
    assert any(mask[180, 200] for mask in painted)  # inside the lasso triangle
    assert not any(mask[390, 10] for mask in painted)  # nowhere near any defect
    view.show_image(names[2])
    studio.snapshot("journey_label_masks")

    studio.close()
    studio = Studio.open(qtbot, monkeypatch, home, wait_for_dataset=False)
    view = studio.window.label_view
    studio.wait_for(lambda: view.labels is not None and len(view.labels.counted()) == 6)
    view.show_image(names[0])
    mask = view.canvas.label().mask
    assert mask is not None and mask[110, 175] == 1 and mask.shape == (400, 400)


def test_a_folder_that_cannot_be_written_keeps_its_labels_until_saved_elsewhere(qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "Shared drive photos"
    names = photos(folder, "coffee", 4, 200, 200)
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    view = studio.window.label_view
    open_unlabelled(studio, qtbot, folder)
    add_class(studio, qtbot, "cup")
    add_class(studio, qtbot, "saucer")
    with read_only(folder):
        for key in "1212":
            studio.press(key, view.canvas)
        studio.wait_for(lambda: "kept in memory" in view.status.text())
        assert "cnnstudio-labels.json" in view.status.text()
        assert not (folder / "cnnstudio-labels.json").exists()
        assert len(view.labels.counted()) == 4  # nothing lost
        elsewhere = tmp_path / "My labels"
        elsewhere.mkdir()
        studio.dialog_answers.append(str(elsewhere))
        studio.click(view.toolbar.save_elsewhere)
    for name, cls in zip(names, ["cup", "saucer", "cup", "saucer"], strict=True):
        assert (elsewhere / cls / name).read_bytes() == (folder / name).read_bytes()
    assert "Saved 4 labelled images" in view.status.text()
