"""Journey: a folder of good parts only, no defect at all (an MVTec-AD train/good/, or a plain folder with
one good/ sub-folder), is dropped on the Data tab, trains the anomaly model on synthetic defects, and Try an
image marks a real scratch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from journey_driver import Studio
from PIL import Image
from user_photos import _scratch, mvtec_category


def test_good_parts_only_folder_trains_on_synthetic_defects_and_try_finds_a_scratch(qtbot, monkeypatch, tmp_path):
    category = mvtec_category(tmp_path / "MVTec" / "brick wall", good=30, test_good=0, scratched=0)
    assert sorted(p.name for p in category.iterdir()) == ["train"]  # good parts only, as in a factory
    good_only_journey(qtbot, monkeypatch, tmp_path, category, category / "train" / "good" / "000.png",
                      "journey_good_only_try")


def test_one_good_class_folder_trains_the_anomaly_model_too(qtbot, monkeypatch, tmp_path):
    category = mvtec_category(tmp_path / "MVTec" / "brick wall", good=30, test_good=0, scratched=0)
    parts = tmp_path / "Pictures" / "passed inspection"
    parts.mkdir(parents=True)
    (category / "train" / "good").rename(parts / "good")
    assert sorted(p.name for p in parts.iterdir()) == ["good"]
    good_only_journey(qtbot, monkeypatch, tmp_path, parts, parts / "good" / "000.png", "")


def good_only_journey(qtbot, monkeypatch, tmp_path: Path, folder: Path, photo: Path, snapshot: str) -> None:
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    data = studio.tab(window.data_view)
    studio.drop(data, folder)
    studio.wait_for(lambda: studio.controller.spec is not None and studio.controller.spec.id == f"folder:{folder}")
    assert studio.controller.spec.task == "defect"
    imageset = studio.controller.imageset
    assert imageset.class_names == ["good", "defect"] and len(imageset) == 60
    assert sum(source.endswith("#synthetic") for source in imageset.sources) == 30
    assert imageset.masks is not None and int(imageset.masks[30:].sum()) > 0

    run_dir = Path(studio.train(epochs=6))
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["head_id"] == "defect_map" and info["dataset_id"] == f"folder:{folder}"

    # Try an image: a real scratched brick photo the model has never seen a defect like.
    rng = np.random.default_rng(7)
    source = Image.open(photo).convert("RGB")
    scratched, mask = _scratch(source, rng)
    mine = tmp_path / "Desktop" / "scratched brick.png"
    mine.parent.mkdir()
    scratched.save(mine)
    predict = studio.tab(window.predict_view)
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.drop(predict, mine)
    entry = answer.args[0]
    assert "error" not in entry, entry
    assert "score" in entry and "threshold" in entry
    assert predict.overlay_label.isVisible() and not predict.overlay_label.pixmap().isNull()
    if snapshot:
        studio.snapshot(snapshot)
    # The map's peak, in the photo's own pixels, lies on the scratch.
    x, y = entry["peak"]
    ys, xs = np.nonzero(np.asarray(mask) > 0)
    assert float(np.min(np.hypot(xs + 0.5 - x, ys + 0.5 - y))) <= 8, (entry["peak"], xs.min(), xs.max(), ys.min(), ys.max())
    assert not studio.messages, studio.messages
