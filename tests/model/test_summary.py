"""Model summary: numbers match hand computation and torch; shape mistakes become errors in words."""

import dataclasses

import pytest

from cnnstudio.core.config import ConvLayer, ModelConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.model.network import build_model
from cnnstudio.core.model.presets import PRESETS, preset
from cnnstudio.core.model.summary import check_model_config, require_trainable, summarize


def test_seed_summary_matches_hand_computation():
    summary = summarize(preset("seed")[0], num_classes=2)
    rows = {row.name: row for row in summary.rows}
    assert rows["conv1"].params == 3 * 8 * 9 + 8 == 224
    assert rows["conv2"].params == 8 * 16 * 9 + 16 == 1168
    assert rows["fc"].params == 4096 * 2 + 2 == 8194
    assert summary.total_params == 224 + 1168 + 8194
    assert rows["conv1"].output_shape == (8, 32, 32)
    assert rows["pool2"].output_shape == (16, 16, 16)
    assert summary.flatten_size == 4096 and summary.feature_shape == (16, 16, 16)
    # FLOPs: 2 x multiply-adds
    assert rows["conv1"].flops == 2 * (3 * 9) * 8 * 32 * 32
    assert rows["conv2"].flops == 2 * (8 * 9) * 16 * 32 * 32
    assert rows["fc"].flops == 2 * 4096 * 2
    assert summary.total_flops == 442_368 + 2_359_296 + 16_384
    # float32 activations for one image
    assert rows["conv2"].activation_bytes == 16 * 32 * 32 * 4
    assert rows["flatten"].activation_bytes == 4096 * 4
    assert summary.param_bytes == 9586 * 4
    assert summary.problems == []


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("num_classes", [2, 5])
def test_summary_parameter_count_matches_torch(name, num_classes):
    model_config = preset(name)[0]
    model = build_model(model_config, build_classification_head, num_classes)
    assert summarize(model_config, num_classes).total_params == sum(p.numel() for p in model.parameters())


def test_summary_respects_head_options_global_pool():
    model_config = preset("seed")[0]
    summary = summarize(model_config, 2, head_options={"global_pool": "max"})
    assert summary.flatten_size == 16
    assert summary.rows[-1].params == 16 * 2 + 2


def test_typed_flatten_size_from_the_lesson_is_an_error_explaining_4096_vs_1024():
    model_config = dataclasses.replace(preset("seed")[0], flatten_features=16 * 8 * 8)
    problems = check_model_config(model_config, num_classes=2)
    assert problems[0].severity == "error" and problems[0].field == "model.flatten_features"
    message = problems[0].message
    assert "1024" in message and "16x16x16 = 4096" in message and "40 rows" in message and "0 to infer" in message
    with pytest.raises(ConfigError, match="4096"):
        require_trainable(model_config, num_classes=2)


def test_correct_typed_flatten_size_is_accepted():
    model_config = dataclasses.replace(preset("seed")[0], flatten_features=4096)
    assert check_model_config(model_config, num_classes=2) == []
    require_trainable(model_config, 2)


def test_collapsing_map_is_an_error_not_a_crash():
    model_config = ModelConfig(input_size=32, conv_layers=[ConvLayer(8, pool=True) for _ in range(6)])
    summary = summarize(model_config)
    assert [row.output_shape for row in summary.rows if row.name == "pool6"] == [(8, 0, 0)]
    [problem] = summary.errors
    assert problem.code == "spatial_collapse" and problem.field == "model.conv_layers[5]"
    assert "pool6" in problem.message and "0x0" in problem.message and "32x32" in problem.message
    assert "pool6" in summary.format_table()
    with pytest.raises(ConfigError, match="shrunk to nothing"):
        require_trainable(model_config, 2)


def test_unpadded_kernel_larger_than_the_map_is_reported():
    model_config = ModelConfig(input_size=8, conv_layers=[ConvLayer(8, kernel=5, padding=0, pool=True), ConvLayer(8, kernel=5, padding=0)])
    [problem] = summarize(model_config).errors
    assert "conv2" in problem.message and problem.field == "model.conv_layers[1]"


def test_format_table_lists_every_layer_and_the_totals():
    summary = summarize(ModelConfig())
    table = summary.format_table()
    for row in summary.rows:
        assert row.name in table
    assert f"{summary.total_params:,}" in table
    assert "flatten size" in table


@pytest.mark.parametrize("head_id", ["classification", "heatmap", "box"])
@pytest.mark.parametrize("name", ["seed", "recommended"])
def test_summary_with_any_registered_head_counts_what_torch_builds(head_id, name):
    import torch

    from cnnstudio.host.manager import get_plugin_manager

    (config, _), spec = preset(name), get_plugin_manager().head(head_id)
    summary = summarize(config, 3, head_build=spec.build)
    model = build_model(config, spec.build, 3)
    assert summary.total_params == sum(p.numel() for p in model.parameters())
    head_rows = [row for row in summary.rows if row.name.startswith("head.") or row.name == "fc"]
    assert sum(row.params for row in head_rows) == summary.head_params == sum(p.numel() for p in model.head.parameters())
    if head_id != "classification":  # the plugin head's own layers, with the shapes of a real forward pass
        shapes = {}
        hooks = [module.register_forward_hook(lambda m, i, out, n=n: shapes.update({n: tuple(out.shape[1:])}) or None)
                 for n, module in model.head.named_children()]
        model.eval()(torch.zeros(1, 3, config.input_size, config.input_size))
        for hook in hooks:
            hook.remove()
        assert {row.name.removeprefix("head."): row.output_shape for row in head_rows} == shapes
    with torch.device("meta"):  # the GUI computes it on the meta device
        assert summarize(config, 3, head_build=spec.build).total_params == summary.total_params
