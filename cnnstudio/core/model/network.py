"""The model: input normalisation -> conv backbone (from the config) -> dropout -> head.

The backbone never flattens: it hands the head a feature map, whose shape is
inferred here rather than typed in (the lesson's ``16 * 8 * 8`` mistake).
The model takes float images in [0, 1] and normalises them itself with the
training split's statistics, so exported and reloaded models need nothing else.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from cnnstudio.core.config import ModelConfig
from cnnstudio.core.model.batch_dropout import BatchDropout
from cnnstudio.core.model.heads import Head

ACTIVATION_LAYERS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


def build_backbone(config: ModelConfig) -> nn.Sequential:
    """Conv layers as named modules: conv1, bn1, act1, pool1, conv2, ..."""
    layers: dict[str, nn.Module] = {}
    in_channels = 3
    for index, layer in enumerate(config.conv_layers, start=1):
        layers[f"conv{index}"] = nn.Conv2d(
            in_channels, layer.out_channels, layer.kernel, padding=layer.resolved_padding,
            bias=not config.batch_norm,
        )
        if config.batch_norm:
            layers[f"bn{index}"] = nn.BatchNorm2d(layer.out_channels)
        layers[f"act{index}"] = ACTIVATION_LAYERS[config.activation]()
        if layer.pool:
            pool = nn.MaxPool2d(2, 2) if config.pooling == "max" else nn.AvgPool2d(2, 2)
            layers[f"pool{index}"] = pool
        in_channels = layer.out_channels
    return nn.Sequential(OrderedDict(layers))


def layer_shapes(config: ModelConfig) -> list[tuple[str, nn.Module, tuple[int, int, int]]]:
    """(name, module, output shape for one image) for every backbone layer.

    Shapes are computed arithmetically, so a layer that would shrink the map
    to nothing is reported with a zero or negative size instead of crashing.
    """
    # A real (throwaway) backbone, not a meta one: its initialisation draws from the seeded RNG, and
    # building it on meta would change every run's initial weights for the same seed.
    backbone = build_backbone(config)
    channels, height, width = 3, config.input_size, config.input_size
    shapes = []
    for name, module in backbone.named_children():
        if isinstance(module, nn.Conv2d):
            assert not isinstance(module.padding, str)  # build_backbone gives every conv a number of pixels
            kernel, padding = module.kernel_size[0], module.padding[0]
            channels = module.out_channels
            height, width = height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            height, width = height // 2, width // 2
        shapes.append((name, module, (channels, height, width)))
    return shapes


def feature_shape(config: ModelConfig) -> tuple[int, int, int]:
    """The backbone's output (channels, height, width) for one input image."""
    return layer_shapes(config)[-1][2]


def skip_shapes(config: ModelConfig) -> list[tuple[int, int, int]]:
    """(channels, height, width) of each stage's last map before it is pooled, finest first."""
    shapes = layer_shapes(config)
    return [shapes[index - 1][2] for index, (_, module, _) in enumerate(shapes)
            if index > 0 and isinstance(module, (nn.MaxPool2d, nn.AvgPool2d))]


class CNNModel(nn.Module):
    """Normalise -> backbone -> dropout -> head. Input: (N, 3, H, W) float in [0, 1]."""

    input_mean: torch.Tensor  # buffers, registered in __init__
    input_std: torch.Tensor

    def __init__(
        self,
        config: ModelConfig,
        head: Head,
        mean: torch.Tensor | None = None,
        std: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.normalize_inputs = config.normalize_inputs
        # Saved with the weights so a reloaded or exported model normalises the same way.
        self.register_buffer("input_mean", (mean if mean is not None else torch.full((3,), 0.5)).reshape(1, 3, 1, 1).float())
        self.register_buffer("input_std", (std if std is not None else torch.full((3,), 0.25)).reshape(1, 3, 1, 1).float())
        self.backbone = build_backbone(config)
        self.dropout = BatchDropout(config.dropout) if config.dropout > 0 else nn.Identity()
        self.head = head

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        if not self.normalize_inputs:
            return images
        return (images - self.input_mean) / self.input_std

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The backbone's feature map (N, C, h, w) for images in [0, 1]."""
        return self.backbone(self.normalize(images))

    def features_and_skips(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The feature map and each stage's last map before pooling (finest first), see ``skip_shapes``."""
        x = self.normalize(images)
        skips = []
        for module in self.backbone.children():
            if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
                skips.append(x)
            x = module(x)
        return x, skips

    def forward(self, images: torch.Tensor) -> Any:
        if not getattr(self.head, "skip_features", False):
            return self.head(self.dropout(self.features(images)))
        features, skips = self.features_and_skips(images)
        return self.head(self.dropout(features), skips)

    def conv_layers(self) -> list[tuple[str, nn.Conv2d]]:
        return [(name, module) for name, module in self.backbone.named_children() if isinstance(module, nn.Conv2d)]

    @torch.no_grad()
    def feature_maps(self, images: torch.Tensor, layer_names: list[str] | None = None) -> dict[str, torch.Tensor]:
        """Activations after every named backbone layer (or only ``layer_names``)."""
        wanted = set(layer_names) if layer_names else None
        result = {}
        x = self.normalize(images)
        for name, module in self.backbone.named_children():
            x = module(x)
            if wanted is None or name in wanted:
                result[name] = x
        return result


def build_model(
    config: ModelConfig,
    head_build: Any,
    num_classes: int,
    head_options: dict[str, Any] | None = None,
    mean: torch.Tensor | None = None,
    std: torch.Tensor | None = None,
) -> CNNModel:
    """A CNNModel whose head is ``head_build(feature_shape, num_classes, options)``.

    ``head_build`` is a ``HeadSpec.build``; the classification head's
    ``global_pool`` comes from the model config unless the options set it, and
    every head is told ``input_size`` (box heads decode to input pixels).
    """
    options = {"global_pool": config.global_pool, **(head_options or {}), "input_size": config.input_size}
    head = head_build(feature_shape(config), num_classes, options)
    if getattr(head, "skip_features", False):
        head.attach_skips(skip_shapes(config))
    return CNNModel(config, head, mean=mean, std=std)
