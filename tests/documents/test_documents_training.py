"""The forgery dataset trains end to end through the runner, with the classification and heat-map heads."""

from __future__ import annotations

import pytest

from cnnstudio.app.runner import load_run_model, train_run
from cnnstudio.core.config import ConvLayer, DatasetConfig, HeadConfig, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.host.manager import StudioPluginManager


@pytest.fixture(scope="module")
def manager():
    manager = StudioPluginManager(entry_points=False, folders=[], third_party=False)
    assert "documents.forgery" in manager.datasets()
    return manager


def tiny_documents_config(head: str) -> RunConfig:
    model = ModelConfig(preset="tiny", input_size=32, conv_layers=[ConvLayer(8, pool=True), ConvLayer(16, pool=True)])
    training = TrainingConfig(epochs=2, batch_size=16, lr=0.01, val_fraction=0.25, test_fraction=0.0)
    dataset = DatasetConfig("documents.forgery", {"count": 64, "size": 32, "difficulty": "easy"})
    return RunConfig(dataset=dataset, model=model, head=HeadConfig(head), training=training,
                     seed=1, device="cpu", threads=1).validate()


def test_trains_with_the_classification_head(tmp_path, manager):
    finished = train_run(tiny_documents_config("classification"), run_dir=tmp_path / "run", manager=manager)
    assert finished.reason == "completed" and finished.epochs_run == 2
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0
    model = load_run_model(tmp_path / "run", manager=manager)
    assert model.class_names == ["genuine", "forged"]


def test_trains_with_the_default_heatmap_head_on_the_masks(tmp_path, manager):
    config = tiny_documents_config("")
    finished = train_run(config, run_dir=tmp_path / "run", manager=manager)
    assert finished.reason == "completed"
    assert "val_accuracy" in finished.metrics
    assert manager.head("heatmap").supports("defect")
