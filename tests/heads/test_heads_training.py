"""Both heads end to end through the real Trainer: they learn bright squares and their runs reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from heads_helpers import squares, tiny_run_config

from cnnstudio.bundled_plugins._box_head import build_box_head
from cnnstudio.bundled_plugins._heatmap_head import build_heatmap_head
from cnnstudio.core.evaluate.evaluation import evaluate
from cnnstudio.core.evaluate.prediction import load_trained_model
from cnnstudio.core.specs import HeadSpec
from cnnstudio.core.train.trainer import Trainer


def train_and_reload(tmp_path, build: Callable[..., Any], head_id: str, task: str, options: dict[str, Any]):
    spec = HeadSpec(head_id, head_id.title(), build, (task,))
    data = squares(160, seed=3)
    run_dir = tmp_path / "run"
    finished = Trainer(tiny_run_config(options, epochs=4), data, spec, run_dir).fit()
    assert finished.reason == "completed"
    trained = load_trained_model(run_dir, head_spec=spec)
    return finished.metrics, trained, evaluate(trained, data, split="val")


def test_heatmap_head_learns_defects_and_its_run_reloads_with_its_threshold(tmp_path):
    final, trained, report = train_and_reload(tmp_path, build_heatmap_head, "heatmap", "defect", {"threshold": 0.4})
    # Half the images carry a square: chance is an AUC of 0.5 and an accuracy near 0.5.
    assert final["val_auc"] > 0.9 and final["val_accuracy"] > 0.8
    assert final["val_pixel_iou"] > 0.2
    assert trained.model.head.threshold.item() == pytest.approx(0.4)
    # The reloaded best weights give the numbers the trainer reported.
    assert report.head_metrics == pytest.approx({k[4:]: v for k, v in final.items() if k != "val_loss"}, abs=1e-6)


def test_box_head_learns_boxes_and_its_run_reloads_with_its_threshold(tmp_path):
    options = {"threshold": 0.6, "input_size": 32}
    final, trained, report = train_and_reload(tmp_path, build_box_head, "box", "detection", options)
    # A box guessed anywhere in the 32 px image overlaps a 6-12 px square by IoU ~0.05.
    assert final["val_accuracy"] > 0.8 and final["val_mean_iou"] > 0.3
    assert "val_ap50" in final
    assert trained.model.head.threshold.item() == pytest.approx(0.6)
    assert report.head_metrics == pytest.approx({k[4:]: v for k, v in final.items() if k != "val_loss"}, abs=1e-6)
