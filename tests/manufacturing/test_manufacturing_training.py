"""The heat-map head registration and tiny end-to-end training runs on generated surfaces."""

from __future__ import annotations

import pytest
from manufacturing_helpers import load_manufacturing_module

from cnnstudio.app.runner import load_run_model, train_run
from cnnstudio.core.config import ConvLayer, DatasetConfig, HeadConfig, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.host.manager import get_plugin_manager


def manufacturing_heads() -> dict:
    return {head.id: head for head in load_manufacturing_module().cnnstudio_heads()}


def test_registers_the_defect_map_and_heatmap_heads_for_defect_tasks():
    heads = manufacturing_heads()
    assert sorted(heads) == ["defect_map", "heatmap"]
    for head in heads.values():
        assert head.tasks == ("defect",)
        assert head.supports("defect") and not head.supports("detection")
        assert callable(head.build) and "threshold" in head.description


def test_heatmap_build_returns_a_thresholded_head_with_a_heatmap():
    import torch

    head = manufacturing_heads()["heatmap"].build((8, 4, 4), 2, {"threshold": 0.3})
    assert float(head.threshold) == pytest.approx(0.3)
    predictions = head.predict(head(torch.randn(5, 8, 4, 4)))
    assert predictions["probabilities"].shape == (5, 2)
    assert predictions["heatmap"].shape == (5, 4, 4)


def test_defect_map_is_one_value_per_input_pixel_and_its_map_raises_the_score():
    import torch

    from cnnstudio.core.model.network import build_model

    config = ModelConfig(input_size=32, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)])
    model = build_model(config, manufacturing_heads()["defect_map"].build, 2, {"threshold": 0.3}).eval()
    assert float(model.head.threshold) == pytest.approx(0.3)
    with torch.no_grad():
        predictions = model.head.predict(model(torch.rand(5, 3, 32, 32)))
        assert predictions["heatmap"].shape == (5, 32, 32)
        # The map's strongest logits enter the class layer: a larger map evidence lowers p(class 0).
        model.head.fc.weight.zero_()
        model.head.fc.bias.zero_()
        model.head.fc.weight[1, -1] = 1.0
        model.head.out.bias.fill_(4.0)
        raised = model.head.predict(model(torch.rand(5, 3, 32, 32)))["score"]
        model.head.out.bias.fill_(-4.0)
        lowered = model.head.predict(model(torch.rand(5, 3, 32, 32)))["score"]
    assert bool((raised > lowered).all())


def test_the_plugin_manager_offers_the_dataset_and_both_defect_heads():
    manager = get_plugin_manager()
    assert manager.dataset("manufacturing.surfaces").default_head == "defect_map"
    assert {"defect_map", "heatmap"} <= {head.id for head in manager.heads_for_task("defect")}


def tiny_config(head: str) -> RunConfig:
    model = ModelConfig(preset="tiny", input_size=32, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
                        global_pool="max")
    training = TrainingConfig(epochs=2, batch_size=16, val_fraction=0.25, test_fraction=0.0)
    dataset = DatasetConfig(id="manufacturing.surfaces", options={"count": 96, "size": 32, "defect_rate": 0.3})
    return RunConfig(dataset=dataset, model=model, head=HeadConfig(id=head), training=training,
                     seed=1, device="cpu", threads=1).validate()


@pytest.mark.parametrize(("head", "expected"), [("classification", "classification"), ("heatmap", "heatmap"), ("", "defect_map")])
def test_tiny_surfaces_run_trains_end_to_end_with_the_chosen_or_default_head(tmp_path, head, expected):
    finished = train_run(tiny_config(head), runs_root=tmp_path / "runs")
    assert finished.reason == "completed" and finished.epochs_run == 2
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0
    assert RunFolder(finished.run_dir).read_info()["head_id"] == expected
    model = load_run_model(finished.run_dir)
    assert model.config.dataset.id == "manufacturing.surfaces"


def test_defect_map_learns_the_share_of_defect_pixels_and_shows_the_map_with_half_its_prior_removed():
    import math

    import torch

    from cnnstudio.core.model.heads import Targets
    from cnnstudio.core.model.network import build_model

    config = ModelConfig(input_size=32, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)])
    model = build_model(config, manufacturing_heads()["defect_map"].build, 2, {})
    masks = torch.zeros(4, 32, 32)
    masks[1, 10, :] = 1  # a 1 px line on one image of four: 32 of 4096 pixels
    targets = Targets(labels=torch.tensor([0, 1, 0, 0]), masks=masks)
    images = torch.rand(4, 3, 32, 32)
    for _ in range(200):
        model.head.loss(model(images), targets)
    share = float(model.head.defect_pixel_share)
    assert share == pytest.approx(32 / 4096, rel=0.01)
    assert "head.defect_pixel_share" in model.state_dict()  # saved with the weights
    model.eval()
    with torch.no_grad():
        logits, map_logits = model(images)
        shown = model.head.predict((logits, map_logits))["heatmap"]
    offset = 0.5 * math.log((1 - share) / share)
    assert torch.allclose(shown, (map_logits[:, 0] - offset).sigmoid(), atol=1e-5)
