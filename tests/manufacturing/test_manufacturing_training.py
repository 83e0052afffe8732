"""The heat-map head registration and tiny end-to-end training runs on generated surfaces."""

from __future__ import annotations

import pytest
from manufacturing_helpers import load_manufacturing_module

from cnnstudio.app.runner import load_run_model, train_run
from cnnstudio.core.config import ConvLayer, DatasetConfig, HeadConfig, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.host.manager import get_plugin_manager


def test_registers_the_heatmap_head_for_defect_tasks():
    [head] = load_manufacturing_module().cnnstudio_heads()
    assert head.id == "heatmap" and head.tasks == ("defect",)
    assert head.supports("defect") and not head.supports("detection")
    assert callable(head.build) and "threshold" in head.description


def test_heatmap_build_returns_a_thresholded_head_with_a_heatmap():
    import torch

    [head_spec] = load_manufacturing_module().cnnstudio_heads()
    head = head_spec.build((8, 4, 4), 2, {"threshold": 0.3})
    assert float(head.threshold) == pytest.approx(0.3)
    predictions = head.predict(head(torch.randn(5, 8, 4, 4)))
    assert predictions["probabilities"].shape == (5, 2)
    assert predictions["heatmap"].shape == (5, 4, 4)


def test_the_plugin_manager_offers_the_dataset_and_the_heatmap_head():
    manager = get_plugin_manager()
    assert manager.dataset("manufacturing.surfaces").default_head == "heatmap"
    assert "heatmap" in [head.id for head in manager.heads_for_task("defect")]


def tiny_config(head: str) -> RunConfig:
    model = ModelConfig(preset="tiny", input_size=32, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
                        global_pool="max")
    training = TrainingConfig(epochs=2, batch_size=16, val_fraction=0.25, test_fraction=0.0)
    dataset = DatasetConfig(id="manufacturing.surfaces", options={"count": 96, "size": 32, "defect_rate": 0.3})
    return RunConfig(dataset=dataset, model=model, head=HeadConfig(id=head), training=training,
                     seed=1, device="cpu", threads=1).validate()


@pytest.mark.parametrize(("head", "expected"), [("classification", "classification"), ("", "heatmap")])
def test_tiny_surfaces_run_trains_end_to_end_with_the_chosen_or_default_head(tmp_path, head, expected):
    finished = train_run(tiny_config(head), runs_root=tmp_path / "runs")
    assert finished.reason == "completed" and finished.epochs_run == 2
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0
    assert RunFolder(finished.run_dir).read_info()["head_id"] == expected
    model = load_run_model(finished.run_dir)
    assert model.config.dataset.id == "manufacturing.surfaces"
