"""Journey: an MVTec-AD folder of good parts only (train/good/, no defect at all) is dropped on the
Data tab, trains the anomaly model on synthetic defects, and Try an image marks a real scratch."""

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
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    data = studio.tab(window.data_view)
    studio.drop(data, category)
    studio.wait_for(lambda: studio.controller.spec is not None and studio.controller.spec.id == f"folder:{category}")
    imageset = studio.controller.imageset
    assert imageset.class_names == ["good", "defect"] and len(imageset) == 60
    assert sum(source.endswith("#synthetic") for source in imageset.sources) == 30
    assert imageset.masks is not None and int(imageset.masks[30:].sum()) > 0

    run_dir = Path(studio.train(epochs=6))
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["head_id"] == "heatmap" and info["dataset_id"] == f"folder:{category}"

    # Try an image: a real scratched brick photo the model has never seen a defect like.
    rng = np.random.default_rng(7)
    source = Image.open(category / "train" / "good" / "000.png").convert("RGB")
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
    # The hottest cell of the map lies on the scratch (within one map cell of it).
    x, y = entry["hotspot"]
    ys, xs = np.nonzero(np.asarray(mask) > 0)
    assert float(np.min(np.hypot(xs - x, ys - y))) <= 20, (entry["hotspot"], xs.min(), xs.max(), ys.min(), ys.max())
    assert not studio.messages, studio.messages
