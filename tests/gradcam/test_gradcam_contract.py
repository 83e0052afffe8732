"""Grad-CAM's shapes, range, errors and side effects on the model."""

from __future__ import annotations

import pytest
import torch
from gradcam_helpers import corner_images, tiny_config

from cnnstudio.bundled_plugins._box_head import build_box_head
from cnnstudio.bundled_plugins._defect_map_head import build_defect_map_head
from cnnstudio.bundled_plugins._heatmap_head import build_heatmap_head
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, grad_cam
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.model.network import build_model


def untrained(build=build_classification_head, batch_norm: bool = True, num_classes: int = 3):
    torch.manual_seed(0)
    return build_model(tiny_config(batch_norm), build, num_classes, {})


def test_maps_have_the_input_size_and_lie_in_unit_range_for_every_layer():
    model = untrained()
    images, _ = corner_images(6, seed=1)
    for name, _ in model.backbone.named_children():
        cams = grad_cam(model, images, name, target=torch.tensor([0, 1, 2, 0, 1, 2]))
        assert cams.shape == (6, 32, 32)
        assert cams.min() >= 0 and cams.max() <= 1
        nonzero = cams.flatten(1).amax(1) > 0
        assert torch.allclose(cams.flatten(1).amax(1)[nonzero], torch.ones(int(nonzero.sum())))


@pytest.mark.parametrize("build", [build_heatmap_head, build_box_head, build_defect_map_head])
def test_heads_with_tuple_outputs_are_explained_through_their_probabilities(build):
    model = untrained(build, num_classes=2)
    images, _ = corner_images(4, seed=2)
    cams = grad_cam(model, images, "conv2")
    assert cams.shape == (4, 32, 32)
    assert cams.min() >= 0 and cams.max() <= 1 and cams.max() > 0


def test_unknown_layer_raises_a_config_error_naming_the_layers():
    model = untrained()
    images, _ = corner_images(2, seed=1)
    with pytest.raises(ConfigError, match="conv9.*conv1, bn1, act1, pool1, conv2"):
        grad_cam(model, images, "conv9")


def test_out_of_range_target_raises_a_config_error():
    with pytest.raises(ConfigError, match="0..2"):
        grad_cam(untrained(), corner_images(2, seed=1)[0], "conv1", target=5)


def test_no_gradients_are_left_and_the_training_mode_is_restored():
    model = untrained().train()
    running_mean = model.backbone.bn1.running_mean.clone()
    grad_cam(model, corner_images(4, seed=1)[0], "conv2", target=1)
    assert all(p.grad is None for p in model.parameters())
    assert model.training
    assert torch.equal(model.backbone.bn1.running_mean, running_mean)  # ran in eval mode


def test_channels_last_and_frozen_models_give_the_same_maps():
    model = untrained().eval()
    images, _ = corner_images(4, seed=3)
    expected = grad_cam(model, images, "act2", target=2)
    model = model.to(memory_format=torch.channels_last)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    got = grad_cam(model, images.contiguous(memory_format=torch.channels_last), "act2", target=2)
    assert torch.allclose(got, expected, atol=1e-5)


def test_default_layer_is_the_last_conv_layer():
    model = untrained()
    assert default_gradcam_layer(model) == "conv3"
    images, _ = corner_images(2, seed=1)
    assert torch.equal(grad_cam(model, images, target=0), grad_cam(model, images, "conv3", target=0))


def test_a_class_with_no_evidence_gives_an_all_zero_map():
    model = untrained().eval()
    with torch.no_grad():
        model.head.fc.weight[1] = 0  # class 1's logit no longer depends on the features
    cams = grad_cam(model, corner_images(3, seed=4)[0], "conv3", target=1)
    assert torch.count_nonzero(cams) == 0
