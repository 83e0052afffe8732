"""RunConfig: TOML round trip and one clear message per invalid field."""

from __future__ import annotations

import pytest

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, replace_nested
from cnnstudio.core.errors import ConfigError


def test_default_config_round_trips_through_toml(tmp_path):
    config = RunConfig()
    config.dataset.options["count"] = 300
    config.model.conv_layers.append(ConvLayer(32, kernel=5, pool=True))
    path = tmp_path / "config.toml"
    config.save(path)
    assert RunConfig.load(path) == config


@pytest.mark.parametrize(
    ("section", "values", "expected"),
    [
        ("training", {"lr": -1}, "training.lr must be > 0"),
        ("training", {"optimizer": "rmsprop"}, "training.optimizer must be one of adam, sgd"),
        ("training", {"epochs": 0}, "training.epochs must be >= 1"),
        ("training", {"batch_size": 2.5}, "training.batch_size must be a whole number"),
        ("training", {"val_fraction": 0.6, "test_fraction": 0.4}, "leave at least 10% for training"),
        ("training", {"augment_flip": "yes"}, "training.augment_flip must be true or false"),
        ("model", {"pooling": "median"}, "model.pooling must be one of max, avg"),
        ("model", {"conv_layers": []}, "model.conv_layers needs at least one conv layer"),
        ("model", {"conv_layers": [{"out_channels": 0}]}, "model.conv_layers[0].out_channels must be >= 1"),
        ("model", {"conv_layers": [{"kernel": 3}]}, "model.conv_layers[0].out_channels is required"),
        ("model", {"dropout": 1.5}, "model.dropout must be between 0 and less than 1"),
        ("training", {"learning_rate": 0.1}, "training.learning_rate is not a config field"),
    ],
)
def test_invalid_values_name_the_field_and_what_is_allowed(section, values, expected):
    with pytest.raises(ConfigError) as error:
        RunConfig.from_dict({section: values})
    assert expected in str(error.value)


def test_misspelled_field_suggests_the_right_name():
    with pytest.raises(ConfigError, match=r"did you mean training\.lr\?"):
        RunConfig.from_dict({"training": {"lrr": 0.1}})


def test_top_level_fields_are_validated():
    with pytest.raises(ConfigError, match="device must be one of auto, cpu, cuda, mps"):
        RunConfig.from_dict({"device": "tpu"})
    with pytest.raises(ConfigError, match="seed must be >= 0"):
        RunConfig.from_dict({"seed": -3})


def test_corrupt_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[training\nlr = ")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        RunConfig.load(path)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        RunConfig.load(tmp_path / "nope.toml")


def test_integers_are_accepted_for_float_fields_and_kept_as_floats():
    config = RunConfig.from_dict({"training": {"lr": 1}})
    assert config.training.lr == 1.0 and isinstance(config.training.lr, float)


def test_replace_nested_changes_one_field_and_validates():
    config = replace_nested(RunConfig(), **{"training.lr": 0.01, "model.pooling": "avg"})
    assert config.training.lr == 0.01 and config.model.pooling == "avg"
    with pytest.raises(ConfigError):
        replace_nested(RunConfig(), **{"training.lr": 0})


def test_replace_nested_takes_a_dataclass_instance_as_a_table_and_refuses_a_dataclass_class():
    config = replace_nested(RunConfig(), model=ModelConfig(pooling="avg"))
    assert config.model.pooling == "avg"
    with pytest.raises(ConfigError, match="model must be a table"):
        replace_nested(RunConfig(), model=ModelConfig)
