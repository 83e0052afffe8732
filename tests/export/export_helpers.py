"""Tiny trained runs for the export tests (trained once per test module through the real CLI)."""

from __future__ import annotations

from pathlib import Path

import torch
from tiny_runs import train_tiny_run

from cnnstudio.app.runner import load_run_model, prepare
from cnnstudio.core.evaluate.evaluation import split_indices


def train_tiny(base: Path, dataset: str, count: int = 120, options: dict | None = None, head: str = "") -> Path:
    """Train a one-epoch tiny model on ``dataset`` (with ``head``, else its default) under ``base``; returns
    its run folder.

    Dataset images are 24x24 and the model's input is 16x16, so every export is checked
    through its own resize, not only at the input size.
    """
    extra = f'\n[head]\nid = "{head}"' if head else ""
    return train_tiny_run(base, dataset, seed=3, count=count, size=24, input_size=16, options=options,
                          extra_toml=extra)


def validation_images(run: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's raw validation images (N, 3, H, W) uint8 and their labels."""
    model = load_run_model(run)
    _, imageset, _ = prepare(model.config)
    indices = split_indices(model.config.training, model.config.seed, imageset.labels, "val")
    return imageset.images[indices], imageset.labels[indices]


def hwc(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> (N, H, W, 3), what exported models take."""
    return images.permute(0, 2, 3, 1).contiguous()
