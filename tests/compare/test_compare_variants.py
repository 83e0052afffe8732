"""Lesson variants: each changes exactly the field it names, worded for the config it starts from."""

from __future__ import annotations

import dataclasses

import pytest

from cnnstudio.core.config import RunConfig
from cnnstudio.core.evaluate.compare import config_differences, flatten_config
from cnnstudio.core.model.presets import apply_preset
from cnnstudio.core.model.variants import variant_by_id, variant_ids, variants_for


def changed_fields(before: RunConfig, after: RunConfig) -> dict[str, tuple]:
    return {d.field: d.values for d in config_differences([flatten_config(before.to_dict()), flatten_config(after.to_dict())])}


@pytest.mark.parametrize("preset", ["seed", "recommended"])
def test_each_variant_changes_only_its_field(preset) -> None:
    config = apply_preset(RunConfig(), preset)
    assert [v.id for v in variants_for(config)] == list(variant_ids())
    assert changed_fields(config, variant_by_id(config, "pooling").apply(config)) == {"model.pooling": ("max", "avg")}
    assert changed_fields(config, variant_by_id(config, "batch_norm").apply(config)) == {
        "model.batch_norm": (config.model.batch_norm, not config.model.batch_norm)}
    assert changed_fields(config, variant_by_id(config, "dropout").apply(config)) == {"model.dropout": (0.0, 0.5)}
    assert changed_fields(config, variant_by_id(config, "lr").apply(config)) == {
        "training.lr": (config.training.lr, pytest.approx(config.training.lr * 0.1))}
    deeper = variant_by_id(config, "extra_conv").apply(config)
    assert len(deeper.model.conv_layers) == len(config.model.conv_layers) + 1
    added = deeper.model.conv_layers[-1]
    assert added.out_channels == 2 * config.model.conv_layers[-1].out_channels and not added.pool
    assert all(v.lesson and v.title for v in variants_for(config))


def test_titles_follow_the_config() -> None:
    avg = dataclasses.replace(RunConfig(), model=dataclasses.replace(RunConfig().model, pooling="avg", dropout=0.5,
                                                                     batch_norm=False))
    titles = {v.id: v.title for v in variants_for(avg)}
    assert titles["pooling"] == "Max pooling instead of average"
    assert titles["dropout"] == "No dropout" and titles["batch_norm"] == "With batch-norm"
    assert variant_by_id(avg, "pooling").apply(avg).model.pooling == "max"
    no_pools = dataclasses.replace(avg.model, conv_layers=[dataclasses.replace(c, pool=False) for c in avg.model.conv_layers])
    assert "no 2x2 pooling" in variant_by_id(dataclasses.replace(avg, model=no_pools), "pooling").unavailable
