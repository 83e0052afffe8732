"""Named starting models: the lesson's SimpleCNN, its mini-challenge variants, and `recommended`.

A preset is a ``ModelConfig`` plus a few training overrides (``TrainingConfig``
field -> value). The ``seed`` family reproduces the published layers (with the
flatten size inferred, so the lesson's ``16 * 8 * 8`` bug cannot happen) and
the lesson's plain training recipe; ``recommended`` is ``ModelConfig()`` and
``TrainingConfig()`` as they are, so changing those defaults changes it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.errors import ConfigError

PRESETS: tuple[str, ...] = ("recommended", "seed", "seed-3conv", "seed-avgpool", "seed-dropout")

PRESET_DESCRIPTIONS: dict[str, str] = {
    "recommended": (
        "Four small conv layers (16-32 filters) with batch-norm, three 2x2 poolings and a global max pool: "
        "the head keeps only each filter's strongest response, so a small defect counts wherever it is "
        "(on small scratch/spot images: ~97% where `seed` stays near 50%). Trained with flips, shifts, "
        "a class-balanced loss and a cosine learning-rate schedule."
    ),
    "seed": (
        "The lesson's SimpleCNN: conv 3->8, conv 8->16, one 2x2 max pool, a linear layer on the flattened "
        "16x16x16 map (4096 values, inferred, not the published 16*8*8). CNN Studio normalises the inputs, "
        "which the published code forgot; training is the lesson's plain Adam at lr 0.001."
    ),
    "seed-3conv": (
        "Mini challenge 1: the seed model plus a third conv layer (32 filters). The pool moves after the "
        "third conv so it still sees the full-resolution map; the flattened head grows to 8192 inputs, "
        "which is why real models add more pooling or a global pool."
    ),
    "seed-avgpool": (
        "Mini challenge 2: the seed model with average pooling instead of max pooling. Averaging keeps "
        "the mean response of each 2x2 window; max keeps the strongest, which favours small sharp features."
    ),
    "seed-dropout": (
        "Mini challenge 4: the seed model with dropout 0.25 on the feature map before the linear head, "
        "a cheap guard against memorising a small training set."
    ),
}

# The lesson's training loop: Adam at lr 0.001, no augmentation, plain cross-entropy.
SEED_TRAINING: dict[str, Any] = {
    "lr": 0.001,
    "optimizer": "adam",
    "class_balanced_loss": False,
    "augment_flip": False,
    "augment_shift": False,
    "lr_schedule": "constant",
}


def _seed_model(name: str, **changes: Any) -> ModelConfig:
    base = ModelConfig(
        preset=name,
        input_size=32,
        conv_layers=[ConvLayer(8, kernel=3, padding=1), ConvLayer(16, kernel=3, padding=1, pool=True)],
        pooling="max",
        activation="relu",
        batch_norm=False,
        dropout=0.0,
        global_pool="none",
        normalize_inputs=True,  # the published code forgot this; CNN Studio fixes it by default
        flatten_features=0,
    )
    return dataclasses.replace(base, **changes)


def preset(name: str) -> tuple[ModelConfig, dict[str, Any]]:
    """The model config and the training overrides (TrainingConfig field -> value) of a preset."""
    if name == "recommended":
        defaults = TrainingConfig()
        return ModelConfig(preset="recommended"), {f.name: getattr(defaults, f.name) for f in _override_fields()}
    if name == "seed":
        return _seed_model(name), dict(SEED_TRAINING)
    if name == "seed-3conv":
        # Pool after the third conv: the new layer works at full 32x32 resolution,
        # like conv2 in the lesson, and the map is pooled once, as published.
        layers = [ConvLayer(8, 3, 1), ConvLayer(16, 3, 1), ConvLayer(32, 3, 1, pool=True)]
        return _seed_model(name, conv_layers=layers), dict(SEED_TRAINING)
    if name == "seed-avgpool":
        return _seed_model(name, pooling="avg"), dict(SEED_TRAINING)
    if name == "seed-dropout":
        return _seed_model(name, dropout=0.25), dict(SEED_TRAINING)
    raise ConfigError(f"unknown model preset {name!r}; presets are: {', '.join(PRESETS)}")


def _override_fields() -> list[dataclasses.Field]:
    """The training fields a preset decides (the rest, like epochs or splits, stay the user's)."""
    wanted = set(SEED_TRAINING)
    return [f for f in dataclasses.fields(TrainingConfig) if f.name in wanted]


def apply_preset(config: RunConfig, name: str) -> RunConfig:
    """A new, validated RunConfig with the preset's model and its training overrides."""
    model, overrides = preset(name)
    training = dataclasses.replace(config.training, **overrides)
    return dataclasses.replace(config, model=model, training=training).validate()
