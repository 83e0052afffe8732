"""Journey: a YOLO folder of photos with several logos each, trained with the boxes head in the real window;
Try an image and the Evaluate gallery draw every box with its score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from journey_driver import Studio
from PIL import Image
from torchvision.ops import box_iou
from user_photos import _logo, crops, photo

BOXES_HEAD = "boxes: Object finder (every object, with boxes)"


def several_logos_folder(root: Path, count: int = 120, seed: int = 0) -> Path:
    """Scene crops (96 px) with 1-3 logos pasted apart from each other, a label line per logo."""
    rng = np.random.default_rng(seed)
    logo = _logo()
    scenes = crops(photo("astronaut"), count // 2, 300, rng) + crops(photo("coffee"), count - count // 2, 300, rng)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("logo\n", encoding="utf-8")
    for index, scene in enumerate(scenes):
        lines = []
        corners = rng.permutation([(4, 4), (52, 4), (4, 52), (52, 52)])[: int(rng.integers(1, 4))]
        for x, y in corners:  # one logo per quarter, so they never overlap
            side = int(rng.integers(24, 40))
            scene.paste(logo.resize((side, side)), (int(x), int(y)), logo.resize((side, side)))
            lines.append(f"0 {(x + side / 2) / 96:.6f} {(y + side / 2) / 96:.6f} {side / 96:.6f} {side / 96:.6f}\n")
        path = root / "images" / f"shelf_{index:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        scene.save(path)
        (root / "labels" / f"shelf_{index:04d}.txt").write_text("".join(lines), encoding="utf-8")
    return root


def test_several_logos_per_photo_train_the_boxes_head_and_every_box_is_drawn(qtbot, monkeypatch, tmp_path):
    folder = several_logos_folder(tmp_path / "shelf photos")
    mine = tmp_path / "Downloads" / "shelf.png"  # one photo kept out of the training folder
    mine.parent.mkdir()
    kept = max(path for path in (folder / "labels").glob("shelf_*.txt")
               if len(path.read_text(encoding="utf-8").splitlines()) >= 2)  # a photo with several logos
    (folder / "images" / f"{kept.stem}.png").replace(mine)
    truth = [[float(v) * 96 for v in line.split()[1:]] for line in kept.read_text(encoding="utf-8").splitlines()]
    kept.unlink()
    logos = [(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2) for cx, cy, w, h in truth]
    assert len(logos) >= 2
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    spec = studio.open_folder(folder)
    assert spec.task == "detection"
    assert max(len(boxes) for boxes in studio.controller.imageset.boxes) >= 2  # every label line is a box

    model = studio.tab(window.model_view)
    studio.choose(model.form.head_combo, BOXES_HEAD)
    studio.wait_for(lambda: studio.controller.config.head.id == "boxes")
    run_dir = Path(studio.train(epochs=20))
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["head_id"] == "boxes"
    history = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert {"val_ap50", "val_ap50_95", "val_count_accuracy"} <= set(history[-1]["metrics"])

    studio.dialog_answers.append(str(mine))
    predict = window.predict_view
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.trigger("File", "Open image to try")
    entry = answer.args[0]
    assert "error" not in entry, entry
    assert isinstance(entry["boxes"], list) and entry["threshold"] == 0.5
    width, height = Image.open(mine).size
    for found in entry["boxes"]:
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 <= x1 <= width and 0 <= y0 <= y1 <= height and found["class"] == "logo"
    strong = [found["box"] for found in entry["boxes"] if found["score"] >= entry["threshold"]]
    for logo in logos:  # every logo on the photo is found, each by a box at or above the threshold
        assert float(box_iou(torch.tensor([logo]), torch.tensor(strong)).max()) >= 0.3, (logo, entry["boxes"])
    strong = len(strong)
    assert predict.overlay_title.text() == f"Boxes: {strong} at or above the threshold"
    assert predict.overlay_label.isVisible() and not predict.overlay_label.pixmap().isNull()
    studio.snapshot("journey_every_logo_try")

    evaluation = studio.tab(window.evaluation_view)
    studio.wait_for(lambda: evaluation.report is not None, timeout=90_000)
    report = evaluation.report
    assert report.detections is not None and len(report.detections) == report.num_images
    assert "AP50" in evaluation.summary.text()
    row, column = next((r, c) for r in (1, 0) for c in (1, 0) if report.confusion[r][c])
    studio.click_cell(evaluation.confusion, row, column)
    gallery = evaluation.gallery
    studio.wait_for(lambda: bool(gallery.captions))
    for caption, position in zip(gallery.captions, gallery.positions):
        count = sum(1 for found in report.detections[position] if found["score"] >= report.threshold)
        assert caption[-1].endswith(f", {count} box{'' if count == 1 else 'es'}")
    studio.snapshot("journey_every_logo_gallery")
    assert not studio.messages, studio.messages

