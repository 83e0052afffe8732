"""Shared data and models for the head tests: bright squares on noise, with masks or boxes, and a tiny backbone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.model.heads import Targets
from cnnstudio.core.model.network import CNNModel, build_model


def squares(count: int = 64, size: int = 32, seed: int = 0, rate: float = 0.5) -> ImageSet:
    """Grey noise; class 1 images carry a bright square (6-12 px) at a random place.

    Each image has its mask (1 on the square) and its box list (one box on
    class 1 images, none on class 0), so the same set serves both heads.
    """
    generator = torch.Generator().manual_seed(seed)
    labels = (torch.rand(count, generator=generator) < rate).long()
    labels[:2] = torch.tensor([0, 1])  # both classes, whatever the seed
    images = torch.randint(60, 140, (count, 3, size, size), generator=generator).to(torch.uint8)
    masks = torch.zeros(count, size, size, dtype=torch.uint8)
    boxes: list[torch.Tensor] = []
    for i in range(count):
        if labels[i] == 0:
            boxes.append(torch.zeros(0, 4))
            continue
        side = int(torch.randint(6, 13, (1,), generator=generator))
        x0, y0 = (int(v) for v in torch.randint(0, size - side + 1, (2,), generator=generator))
        images[i, :, y0 : y0 + side, x0 : x0 + side] = 235
        masks[i, y0 : y0 + side, x0 : x0 + side] = 1
        boxes.append(torch.tensor([[x0, y0, x0 + side, y0 + side]], dtype=torch.float32))
    return ImageSet(images, labels, ["ok", "defect"], masks=masks, boxes=boxes, name="squares")


def tiny_model_config(input_size: int = 32) -> ModelConfig:
    """Two conv layers with batch-norm and two poolings: an (16, 8, 8) feature map at 32 px."""
    return ModelConfig(
        preset="tiny", input_size=input_size, conv_layers=[ConvLayer(8, pool=True), ConvLayer(16, pool=True)],
        batch_norm=True, global_pool="max",
    )


def tiny_run_config(head_options: dict[str, Any] | None = None, epochs: int = 4) -> RunConfig:
    """A fast, deterministic training recipe for the tiny model on CPU."""
    config = RunConfig(
        model=tiny_model_config(),
        training=TrainingConfig(epochs=epochs, batch_size=16, lr=0.01, val_fraction=0.25, test_fraction=0.0),
        seed=1, device="cpu", threads=1,
    )
    config.head.options = dict(head_options or {})
    return config.validate()


def tiny_model(build: Callable[..., Any], options: dict[str, Any] | None = None, num_classes: int = 2) -> CNNModel:
    """The tiny backbone with the head ``build`` makes (options as the trainer would pass them)."""
    torch.manual_seed(0)
    return build_model(tiny_model_config(), build, num_classes, options or {})


def batch_of(data: ImageSet) -> tuple[torch.Tensor, Targets]:
    """(N, 3, H, W) float images in [0, 1] and their Targets, as the trainer feeds them."""
    masks = None if data.masks is None else data.masks.float()
    return data.images.float() / 255, Targets(labels=data.labels, masks=masks, boxes=data.boxes)


def fit_steps(model: CNNModel, images: torch.Tensor, targets: Targets, steps: int = 30) -> list[float]:
    """Adam on one fixed batch; the loss after every step."""
    torch.set_num_threads(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    model.train()
    for _ in range(steps):
        loss = model.head.loss(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().item())
    return losses
