"""Lesson variants: one change to a finished run's config, to train again and compare.

The lesson's mini challenges ("Replace MaxPooling with AveragePooling: does
accuracy change?", "Add a third convolutional layer", "Add Dropout") become
one-click experiments: same dataset, same seed, same everything, except the
one field a variant changes, so the comparison shows that field's effect.

    for variant in variants_for(config):
        print(variant.title, "-", variant.lesson)
    new_config = variant.apply(config)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnstudio.core.config import ConvLayer, RunConfig

MAX_EXTRA_CHANNELS = 512  # the extra conv layer doubles the last layer's filters, up to this


@dataclass(frozen=True)
class Variant:
    """A named one-field change: ``apply(config)`` returns the new, validated config."""

    id: str
    title: str  # the menu text, e.g. "Average pooling instead of max"
    lesson: str  # one sentence on what to look for (the tooltip)
    change: Callable[[RunConfig], RunConfig]
    unavailable: str = ""  # why this variant makes no difference to this config ("" = available)

    def apply(self, config: RunConfig) -> RunConfig:
        """The config with this variant's change, validated (raises ConfigError naming the field)."""
        return self.change(config).validate()


def variants_for(config: RunConfig) -> list[Variant]:
    """The lesson's variants, worded for ``config`` (max -> average pooling, or average -> max, ...)."""
    return [_pooling(config), _batch_norm(config), _dropout(config), _lower_lr(config), _extra_conv(config)]


def variant_ids() -> tuple[str, ...]:
    """The ids of every variant, in menu order."""
    return ("pooling", "batch_norm", "dropout", "lr", "extra_conv")


def variant_by_id(config: RunConfig, variant_id: str) -> Variant:
    """The variant ``variant_id`` for ``config``; KeyError if there is none."""
    for variant in variants_for(config):
        if variant.id == variant_id:
            return variant
    raise KeyError(variant_id)


# ---- the variants -------------------------------------------------------------------

def _model(config: RunConfig, **changes: Any) -> RunConfig:
    return dataclasses.replace(config, model=dataclasses.replace(config.model, **changes))


def _pooling(config: RunConfig) -> Variant:
    pooled = any(layer.pool for layer in config.model.conv_layers)
    to_avg = config.model.pooling == "max"
    other = "avg" if to_avg else "max"
    title = "Average pooling instead of max" if to_avg else "Max pooling instead of average"
    lesson = ("Mini challenge 2: max pooling keeps the strongest response of each 2x2 window (small sharp "
              "features survive), average pooling keeps their mean (smoother, small details fade). "
              "Does accuracy change?")
    return Variant("pooling", title, lesson, lambda c: _model(c, pooling=other),
                   "" if pooled else "this model has no 2x2 pooling layer (no conv layer has pool on)")


def _batch_norm(config: RunConfig) -> Variant:
    on = config.model.batch_norm
    title = "No batch-norm" if on else "With batch-norm"
    lesson = ("Batch-norm rescales each conv layer's outputs to a steady range, so training tolerates larger "
              "learning rates and usually converges in fewer epochs; compare the loss curves' first epochs.")
    return Variant("batch_norm", title, lesson, lambda c: _model(c, batch_norm=not on))


def _dropout(config: RunConfig) -> Variant:
    has_half = abs(config.model.dropout - 0.5) < 1e-9
    value = 0.0 if has_half else 0.5
    title = "No dropout" if has_half else "Dropout 0.5"
    lesson = ("Mini challenge 4: dropout switches off a random half of the features in each training step "
              "(less gossip among neurons), a guard against memorising the training images; look at the gap "
              "between the train (dashed) and validation (solid) loss.")
    return Variant("dropout", title, lesson, lambda c: _model(c, dropout=value))


def _lower_lr(config: RunConfig) -> Variant:
    lr = config.training.lr * 0.1
    lesson = (f"The learning rate sets the size of each optimizer step: {lr:g} instead of {config.training.lr:g} "
              "takes smaller, steadier steps, so the loss falls more slowly but may end lower; too small and the "
              "epochs run out first.")

    def change(c: RunConfig) -> RunConfig:
        return dataclasses.replace(c, training=dataclasses.replace(c.training, lr=c.training.lr * 0.1))

    return Variant("lr", "Learning rate x0.1", lesson, change)


def _extra_conv(config: RunConfig) -> Variant:
    last = config.model.conv_layers[-1].out_channels if config.model.conv_layers else 8
    channels = min(2 * last, MAX_EXTRA_CHANNELS)
    lesson = (f"Mini challenge 1: a conv layer with {channels} filters after the last one, at the same resolution "
              "(no extra pooling): it combines the patterns found so far into larger ones. Watch how the loss "
              "changes, and the training time.")

    def change(c: RunConfig) -> RunConfig:
        layers = [*c.model.conv_layers, ConvLayer(channels, kernel=3)]
        # A hand-typed flatten size would be wrong for the new shape: infer it.
        return _model(c, conv_layers=layers, flatten_features=0)

    return Variant("extra_conv", "One more conv layer", lesson, change)
