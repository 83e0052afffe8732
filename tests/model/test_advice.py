"""Advice: each lesson mistake is reported on a config that makes it, and never on `recommended`."""

import dataclasses

import pytest

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig
from cnnstudio.core.model.presets import apply_preset, preset
from cnnstudio.core.train.advice import (
    FILTERS_WARNING,
    OVERFIT_GAP,
    OVERFIT_MIN_EPOCH,
    PARAMS_PER_IMAGE_WARNING,
    advise,
    overfitting_advice,
)


def codes(advice):
    return {item.code for item in advice}


def test_recommended_gets_no_warnings_on_a_typical_dataset():
    assert [a for a in advise(RunConfig(), num_train_images=1000) if a.severity != "info"] == []
    assert advise(ModelConfig()) == []


def test_unnormalised_inputs_are_reported():
    advice = advise(dataclasses.replace(ModelConfig(), normalize_inputs=False))
    [item] = [a for a in advice if a.code == "inputs_not_normalized"]
    assert item.field == "model.normalize_inputs" and item.severity == "warning"


def test_too_many_parameters_per_image_is_reported_with_the_ratio():
    config = apply_preset(RunConfig(), "seed")  # 9,586 parameters
    [item] = [a for a in advise(config, num_train_images=10) if a.code == "too_many_parameters"]
    assert "9,586" in item.message and "959 per image" in item.message and "augmentation" in item.message
    assert "too_many_parameters" not in codes(advise(config, num_train_images=9586 // PARAMS_PER_IMAGE_WARNING + 1))


def test_flattening_a_large_map_is_reported_on_the_seed_model():
    [item] = [a for a in advise(preset("seed")[0]) if a.code == "large_flatten"]
    assert item.field == "model.global_pool"
    assert "16x16x16" in item.message and "8,194 of 9,586" in item.message and "85%" in item.message


def test_too_many_filters_names_the_layer():
    model = ModelConfig(conv_layers=[ConvLayer(16, pool=True), ConvLayer(FILTERS_WARNING * 2)])
    [item] = [a for a in advise(model) if a.code == "too_many_filters"]
    assert item.field == "model.conv_layers[1].out_channels" and "512" in item.message


def test_map_shrinking_to_one_pixel_before_more_convs_is_a_warning():
    model = ModelConfig(input_size=16, conv_layers=[ConvLayer(8, pool=True) for _ in range(4)] + [ConvLayer(8)])
    [item] = [a for a in advise(model) if a.code == "map_collapsed"]
    assert item.severity == "warning" and "pool4" in item.message and item.field == "model.conv_layers[3].pool"


def test_map_shrinking_to_nothing_is_an_error_first():
    model = ModelConfig(input_size=16, conv_layers=[ConvLayer(8, pool=True) for _ in range(5)])
    advice = advise(model)
    assert advice[0].severity == "error" and advice[0].code == "spatial_collapse"
    assert "map_collapsed" not in codes(advice)


def test_small_input_size_is_information():
    advice = advise(dataclasses.replace(ModelConfig(), input_size=16))
    assert [a.severity for a in advice if a.code == "small_input"] == ["info"]


@pytest.mark.parametrize(
    ("epoch", "train", "val", "fires"),
    [
        (OVERFIT_MIN_EPOCH, 1.0, 1.0 - OVERFIT_GAP - 0.05, True),
        (OVERFIT_MIN_EPOCH, 0.9, 0.9 - OVERFIT_GAP + 0.01, False),  # gap just under the threshold
        (OVERFIT_MIN_EPOCH - 1, 1.0, 0.5, False),  # too early to tell
        (20, 0.6, 0.7, False),  # validation ahead is not over-fitting
    ],
)
def test_overfitting_advice_thresholds(epoch, train, val, fires):
    message = overfitting_advice(epoch, train, val)
    assert (message is not None) == fires
    if fires:
        assert "100 epochs on 10 images" in message and "dropout" in message and "augmentation" in message


def test_overfitting_advice_says_when_validation_peaked():
    history = [{"val_accuracy": 0.6}, {"val_accuracy": 0.8}, {"val_accuracy": 0.7}]
    message = overfitting_advice(4, 1.0, 0.65, history)
    assert "peaked at 80% (epoch 2)" in message
