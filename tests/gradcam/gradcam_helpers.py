"""A tiny model trained on images whose class evidence is in one known corner."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnstudio.core.config import ConvLayer, ModelConfig
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.model.network import CNNModel, build_model

SIZE = 32


def corner_images(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise images (N, 3, 32, 32) in [0, 1]; class 1 has a bright 5x5 blob inside the top-left quadrant."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(count, 3, SIZE, SIZE, generator=generator) * 0.5
    labels = torch.arange(count) % 2
    half = SIZE // 2
    for index in torch.nonzero(labels).flatten().tolist():
        y, x = torch.randint(0, half - 5 + 1, (2,), generator=generator).tolist()
        images[index, :, y : y + 5, x : x + 5] = 1.0
    return images, labels


def tiny_config(batch_norm: bool = True) -> ModelConfig:
    return ModelConfig(
        input_size=SIZE,
        conv_layers=[ConvLayer(8, pool=True), ConvLayer(16, pool=True), ConvLayer(16)],
        batch_norm=batch_norm,
        global_pool="max",
    )


def train_corner_model(seed: int = 0, epochs: int = 4) -> CNNModel:
    """Trains the tiny model on 200 corner images with a plain loop (a few seconds on one CPU)."""
    torch.manual_seed(seed)
    images, labels = corner_images(200, seed)
    model = build_model(tiny_config(), build_classification_head, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), 32):
            batch = order[start : start + 32]
            optimizer.zero_grad()
            F.cross_entropy(model(images[batch]), labels[batch]).backward()
            optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return model.eval()
