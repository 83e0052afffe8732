"""Journeys 3 and 4: an MVTec-AD category and a YOLO folder from disk, their masks and boxes on screen,
trained with their default heat-map and boxes heads, then the threshold studio and Try an image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from journey_driver import Studio
from PIL import Image
from user_photos import mvtec_category, yolo_folder

from cnnstudio.core.evaluate.threshold import run_threshold


def _red_pixels(pixmap) -> int:
    """Pixels of a thumbnail that the mask overlay tinted red."""
    image = pixmap.toImage().convertToFormat(pixmap.toImage().Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = pixels[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    return int(((rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)).sum())


def test_mvtec_folder_shows_masks_trains_the_heatmap_head_sets_a_threshold_and_tries(qtbot, monkeypatch, tmp_path):
    category = mvtec_category(tmp_path / "MVTec" / "brick wall")
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    data = studio.tab(window.data_view)
    studio.drop(data, category)  # dropped from the file manager onto the Data tab
    studio.wait_for(lambda: studio.controller.spec is not None and studio.controller.spec.id == f"folder:{category}")
    imageset = studio.controller.imageset
    assert imageset.masks is not None and len(imageset) == 40
    scratched = next(i for i in range(len(imageset)) if int(imageset.masks[i].sum()) > 0)
    assert data.show_masks.isEnabled()
    studio.click(data.show_masks)
    assert data.show_masks.isChecked()
    assert _red_pixels(data.model.thumbnail(scratched)) > 20
    studio.snapshot("journey_mvtec_data")

    run_dir = Path(studio.train(epochs=3))
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["head_id"] == "defect_map" and info["dataset_id"] == f"folder:{category}"

    # The threshold studio: solve for recall, save, and find the saved value in the run's weights.
    view = studio.tab(window.threshold_view)
    studio.wait_for(lambda: view.scores is not None, timeout=90_000)
    assert run_dir.name in view.run_label.text()
    studio.type_into(view.spin, "0.3000")
    assert view.save_button.isEnabled()
    studio.click(view.save_button)
    studio.wait_for(lambda: not view._saving and not view.save_button.isEnabled())
    assert abs(run_threshold(run_dir) - 0.3) < 1e-6
    assert "in use by predict and exports" in view.saved_label.text()
    studio.snapshot("journey_mvtec_threshold")

    # Try an image: a scratched brick photo of the person's own, dropped onto the tab.
    predict = studio.tab(window.predict_view)
    mine = tmp_path / "Desktop" / "new brick.png"
    mine.parent.mkdir()
    (category / "test" / "scratch" / "000.png").replace(mine)
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.drop(predict, mine)
    entry = answer.args[0]
    assert "error" not in entry, entry
    assert entry["threshold"] == run_threshold(run_dir)
    assert "hotspot" in entry
    assert predict.overlay_label.isVisible() and not predict.overlay_label.pixmap().isNull()
    assert "where the model sees the defect" in predict.overlay_title.text()
    studio.snapshot("journey_mvtec_try")
    assert "new brick.png" in predict.file_label.text()
    assert not studio.messages, studio.messages


def test_yolo_folder_shows_boxes_trains_the_boxes_head_by_default_and_try_draws_every_box(qtbot, monkeypatch, tmp_path):
    folder = yolo_folder(tmp_path / "campagne 2026" / "logos", count=120)
    mine = tmp_path / "Downloads" / "poster.jpg"  # one frame kept out of the training folder
    mine.parent.mkdir()
    (folder / "images" / "frame_0039.jpg").replace(mine)
    side = Image.open(mine).size[0]  # square frames
    cx, cy, w, h = (float(v) * side for v in (folder / "labels" / "frame_0039.txt").read_text().split()[1:])
    (folder / "labels" / "frame_0039.txt").unlink()
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    spec = studio.open_folder(folder)
    assert spec.task == "detection" and spec.default_head == "boxes"
    data = studio.tab(window.data_view)
    assert studio.controller.imageset.boxes is not None
    studio.click(data.show_boxes)
    assert data.model.show_boxes
    studio.snapshot("journey_yolo_data")

    run_dir = Path(studio.train(epochs=20))
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["head_id"] == "boxes"  # nothing chosen on the Model tab

    studio.dialog_answers.append(str(mine))
    predict = window.predict_view
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.trigger("File", "Open image to try")
    entry = answer.args[0]
    assert "error" not in entry, entry
    assert isinstance(entry["boxes"], list)
    for found in entry["boxes"]:
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 <= x1 <= side and 0 <= y0 <= y1 <= side and found["class"] == "logo"  # the photo's own pixels
    strong = [found["box"] for found in entry["boxes"] if found["score"] >= entry["threshold"]]
    assert strong, entry["boxes"]
    x0, y0, x1, y1 = strong[0]  # the poster's logo is found, and where it is
    assert abs((x0 + x1) / 2 - cx) <= w / 4 and abs((y0 + y1) / 2 - cy) <= h / 4, (strong, cx, cy, w)
    assert predict.overlay_label.isVisible() and not predict.overlay_label.pixmap().isNull()
    assert predict.overlay_title.text() == f"Boxes: {len(strong)} at or above the threshold"
    studio.snapshot("journey_yolo_try")
    assert not studio.messages, studio.messages
