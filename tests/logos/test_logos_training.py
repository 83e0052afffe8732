"""marketing.logos end to end: the bundled plugin trains through the runner with its heads."""

from __future__ import annotations

import pytest

from cnnstudio.app.runner import load_run_model, resolve_head, train_run
from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.host.manager import StudioPluginManager


@pytest.fixture(scope="module")
def manager():
    """The bundled plugins only, imported the way the app imports them."""
    manager = StudioPluginManager(entry_points=False, third_party=False)
    assert not manager.failures, manager.failures
    return manager


def tiny_logo_config(head: str) -> RunConfig:
    """A small model on 32 px logo scenes, one epoch, one thread."""
    model = ModelConfig(
        preset="tiny", input_size=32, conv_layers=[ConvLayer(8, pool=True), ConvLayer(16, pool=True)],
        global_pool="max",
    )
    config = RunConfig(
        model=model,
        training=TrainingConfig(epochs=1, batch_size=16, val_fraction=0.25, test_fraction=0.0),
        seed=1, device="cpu", threads=1,
    )
    config.dataset.id = "marketing.logos"
    config.dataset.options = {"count": 64, "size": 32}
    config.head.id = head
    return config.validate()


def test_the_bundled_plugin_offers_the_dataset_with_the_boxes_head_by_default(manager):
    spec = manager.dataset("marketing.logos")
    assert spec.task == "detection"
    config = tiny_logo_config("")
    assert resolve_head(config, spec, manager).id == "boxes"
    detection_heads = [h.id for h in manager.heads_for_task("detection")]
    assert detection_heads.count("box") == 1 and detection_heads.count("boxes") == 1


def test_trains_end_to_end_with_the_classification_head(manager, tmp_path):
    finished = train_run(tiny_logo_config("classification"), run_dir=tmp_path / "run", manager=manager)
    assert finished.reason == "completed" and finished.epochs_run == 1
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0
    model = load_run_model(tmp_path / "run", manager=manager)
    assert model.class_names == ["no_logo", "logo"]


def test_trains_end_to_end_with_the_box_head_and_reports_box_metrics(manager, tmp_path):
    finished = train_run(tiny_logo_config("box"), run_dir=tmp_path / "run", manager=manager)
    assert finished.reason == "completed"
    metrics = finished.metrics
    assert 0.0 <= metrics["val_accuracy"] <= 1.0
    assert any("iou" in name for name in metrics), sorted(metrics)
