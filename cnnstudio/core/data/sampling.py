"""Which training images each batch holds: class weights, the epoch's order, and the batch's targets."""

from __future__ import annotations

import torch

from cnnstudio.core.model.heads import Targets


def inverse_frequency(counts: torch.Tensor) -> torch.Tensor:
    """Per-class weights proportional to 1 / count, averaging 1 over present classes (absent ones get 0)."""
    weights = torch.where(counts > 0, counts.sum() / (len(counts) * counts.clamp_min(1)), 0.0)
    return (weights / weights[counts > 0].mean()).float()


def epoch_order(count: int, sample_weights: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
    """The training images of one epoch, in order: a permutation, or a weighted draw with replacement."""
    if sample_weights is None:
        return torch.randperm(count, generator=generator)
    return torch.multinomial(sample_weights, count, replacement=True, generator=generator)


def select_targets(targets: Targets, index: torch.Tensor) -> Targets:
    """The targets of the images at ``index`` (masks as float copies)."""
    return Targets(
        labels=targets.labels[index],
        masks=None if targets.masks is None else targets.masks[index].clone(),
        boxes=None if targets.boxes is None else [targets.boxes[i] for i in index.tolist()],
    )
