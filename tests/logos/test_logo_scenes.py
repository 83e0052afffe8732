"""marketing.logo_scenes: several logos per scene, a box each, trained with the boxes head by default."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from cnnstudio.app.runner import load_run_model, resolve_head, train_run
from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.host.manager import StudioPluginManager

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "object_boxes.py"


@pytest.fixture(scope="module")
def manager():
    manager = StudioPluginManager(entry_points=False, third_party=False)
    assert not manager.failures, manager.failures
    return manager


def scenes(manager, **options):
    spec = manager.dataset("marketing.logo_scenes")
    return spec.load(spec.resolve_options({"count": 80, "size": 64, **options}))


def test_registers_the_dataset_with_the_boxes_head_by_default(manager):
    spec = manager.dataset("marketing.logo_scenes")
    assert spec.task == "detection" and spec.default_head == "boxes" and spec.mirror_safe is False
    assert spec.class_names == ("no_logo", "logo")
    assert spec.resolve_options({}) == {"count": 1000, "size": 128, "seed": 0, "difficulty": "normal",
                                        "most_logos": 3, "distractors": 2}
    with pytest.raises(ConfigError, match="most_logos"):
        spec.resolve_options({"most_logos": 0})
    head = next(h for h in manager.heads_for_task("detection") if h.id == "boxes")
    assert "every object" in head.title and "AP" in head.description


def test_scenes_hold_zero_to_most_logos_each_with_a_box_inside_the_frame(manager):
    data = scenes(manager, count=120)
    counts = [len(b) for b in data.boxes]
    assert set(counts) == {0, 1, 2, 3}
    assert data.labels.tolist() == [int(c > 0) for c in counts]
    for boxes in data.boxes:
        assert boxes.dtype == torch.float32 and boxes.shape[1:] == (4,)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all() and (boxes[:, 2:] > boxes[:, :2]).all()
    sides = torch.cat([b[:, 2] - b[:, 0] for b in data.boxes])
    assert sides.max() - sides.min() >= 0.15 * 64  # several sizes
    assert max(len(b) for b in scenes(manager, most_logos=1).boxes) == 1


def test_same_options_same_scenes_and_another_seed_other_ones(manager):
    first, again, other = scenes(manager), scenes(manager), scenes(manager, seed=1)
    assert torch.equal(first.images, again.images)
    assert all(torch.equal(a, b) for a, b in zip(first.boxes, again.boxes))
    assert not torch.equal(first.images, other.images)


def test_a_logo_is_drawn_inside_each_box(manager):
    data = scenes(manager, distractors=0, difficulty="easy")
    for image, boxes in zip(data.images, data.boxes):
        grey = image.float().mean(dim=0)
        for x0, y0, x1, y1 in boxes.long().tolist():
            inside = grey[y0:y1, x0:x1]
            assert inside.max() - inside.min() > 40  # the emblem's ink against its background


def test_registration_imports_neither_torch_nor_numpy():
    script = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("boxes_probe", {str(PLUGIN_PATH)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        [dataset] = module.cnnstudio_datasets()
        [head] = module.cnnstudio_heads()
        dataset.resolve_options({{"size": 48}})
        print(sorted(name for name in ("torch", "numpy") if name in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_trains_with_the_default_head_and_reports_every_box_metrics(manager, tmp_path):
    config = RunConfig(
        model=ModelConfig(preset="tiny", input_size=32, conv_layers=[ConvLayer(8, pool=True), ConvLayer(16, pool=True)],
                          global_pool="max"),
        training=TrainingConfig(epochs=1, batch_size=16, val_fraction=0.25, test_fraction=0.0),
        seed=1, device="cpu", threads=1,
    )
    config.dataset.id = "marketing.logo_scenes"
    config.dataset.options = {"count": 64, "size": 32}
    config = config.validate()
    assert resolve_head(config, manager.dataset("marketing.logo_scenes"), manager).id == "boxes"
    finished = train_run(config, run_dir=tmp_path / "run", manager=manager)
    assert finished.reason == "completed"
    assert {"val_ap50", "val_ap50_95", "val_box_recall", "val_count_accuracy"} <= set(finished.metrics)
    model = load_run_model(tmp_path / "run", manager=manager)
    assert model.head_id == "boxes" and model.threshold == pytest.approx(0.5)
