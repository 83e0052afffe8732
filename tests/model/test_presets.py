"""Presets: the seed family reproduces the published SimpleCNN; every preset builds and runs."""

import dataclasses

import pytest
import torch
from torch import nn

from cnnstudio.core.config import ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.model.network import build_model
from cnnstudio.core.model.presets import PRESET_DESCRIPTIONS, PRESETS, apply_preset, preset


@pytest.mark.parametrize("name", PRESETS)
def test_preset_builds_and_runs_a_forward_pass_at_its_input_size(name):
    model_config, overrides = preset(name)
    model = build_model(model_config, build_classification_head, num_classes=3).eval()
    images = torch.rand(4, 3, model_config.input_size, model_config.input_size)
    with torch.no_grad():
        logits = model(images)
    assert logits.shape == (4, 3)
    assert set(overrides) <= {f.name for f in dataclasses.fields(TrainingConfig)}
    assert len(PRESET_DESCRIPTIONS[name]) > 40


def test_seed_preset_has_exactly_the_published_layers():
    model_config, overrides = preset("seed")
    model = build_model(model_config, build_classification_head, num_classes=2)
    layers = list(model.backbone.named_children())
    assert [name for name, _ in layers] == ["conv1", "act1", "conv2", "act2", "pool2"]
    conv1, conv2, pool = layers[0][1], layers[2][1], layers[4][1]
    assert (conv1.in_channels, conv1.out_channels, conv1.kernel_size, conv1.padding) == (3, 8, (3, 3), (1, 1))
    assert (conv2.in_channels, conv2.out_channels, conv2.kernel_size, conv2.padding) == (8, 16, (3, 3), (1, 1))
    assert conv1.bias is not None and conv2.bias is not None
    assert isinstance(pool, nn.MaxPool2d) and pool.kernel_size == 2 and pool.stride == 2
    assert isinstance(layers[1][1], nn.ReLU) and isinstance(layers[3][1], nn.ReLU)
    assert (model.head.fc.in_features, model.head.fc.out_features) == (4096, 2)
    assert model_config.input_size == 32 and model_config.dropout == 0 and not model_config.batch_norm
    assert overrides == {
        "lr": 0.001, "optimizer": "adam", "class_balanced_loss": False,
        "augment_flip": False, "augment_shift": False, "lr_schedule": "constant",
    }


def test_seed_variants_change_only_what_the_mini_challenge_says():
    seed, _ = preset("seed")
    avg, _ = preset("seed-avgpool")
    dropout, _ = preset("seed-dropout")
    three, _ = preset("seed-3conv")
    assert dataclasses.replace(avg, preset="seed", pooling="max") == seed
    assert dataclasses.replace(dropout, preset="seed", dropout=0.0) == seed
    assert dropout.dropout == 0.25
    assert [layer.out_channels for layer in three.conv_layers] == [8, 16, 32]
    assert [layer.pool for layer in three.conv_layers] == [False, False, True]


def test_recommended_preset_is_the_config_defaults():
    model_config, overrides = preset("recommended")
    assert model_config == ModelConfig()
    defaults = TrainingConfig()
    assert all(getattr(defaults, key) == value for key, value in overrides.items())


def test_apply_preset_replaces_model_and_training_but_keeps_the_rest():
    config = RunConfig()
    config.training.epochs = 3
    config.dataset.id = "manufacturing.surfaces"
    seeded = apply_preset(config, "seed")
    assert seeded.model == preset("seed")[0]
    assert seeded.training.lr == 0.001 and seeded.training.augment_flip is False
    assert seeded.training.epochs == 3 and seeded.dataset.id == "manufacturing.surfaces"
    assert config.model == ModelConfig()  # the original is untouched
    back = apply_preset(seeded, "recommended")
    assert back.model == ModelConfig() and back.training == dataclasses.replace(TrainingConfig(), epochs=3)


def test_unknown_preset_is_a_config_error_listing_the_presets():
    with pytest.raises(ConfigError) as caught:
        apply_preset(RunConfig(), "resnet50")
    message = str(caught.value)
    assert "resnet50" in message
    assert all(name in message for name in PRESETS)
