"""Shared data and configs for the trainer tests: a tiny two-class ImageSet, fast configs, an event recorder."""

from __future__ import annotations

import torch

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.data.imageset import ImageSet


def squares_imageset(count: int = 96, size: int = 16, seed: int = 0) -> ImageSet:
    """Noisy grey images; class "bright" has a light square in the middle, "dark" a dark one."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 2
    images = torch.randint(90, 166, (count, 3, size, size), generator=generator).to(torch.uint8)
    lo, hi = size // 4, size - size // 4
    images[labels == 0, :, lo:hi, lo:hi] = 230
    images[labels == 1, :, lo:hi, lo:hi] = 25
    return ImageSet(images=images, labels=labels, class_names=["bright", "dark"], name="squares")


def tiny_config(**training: object) -> RunConfig:
    """A small, fast model and training recipe on 16x16 images, one thread, CPU."""
    model = ModelConfig(
        preset="tiny", input_size=16, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
        global_pool="avg",
    )
    settings = dict(epochs=2, batch_size=16, lr=0.01, val_fraction=0.25, test_fraction=0.125)
    settings.update(training)
    return RunConfig(model=model, training=TrainingConfig(**settings), seed=3, device="cpu", threads=1).validate()


class Recorder:
    """An observer that keeps every event."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, event: object) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]
