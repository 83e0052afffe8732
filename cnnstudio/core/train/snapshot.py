"""Snapshots of what a model has learned: conv filters and feature maps of fixed images.

A Snapshot crosses the process boundary to the GUI after every epoch, so it
is kept small: a handful of fixed validation images, at most
``MAX_CHANNELS`` channels per feature map.
"""

from __future__ import annotations

import torch

from cnnstudio.core.events import Snapshot
from cnnstudio.core.model.network import CNNModel

MAX_CHANNELS = 64  # feature-map channels sent per layer


def snapshot_indices(labels: torch.Tensor, count: int) -> list[int]:
    """``count`` positions into ``labels`` that cover the classes in turn, deterministically.

    Class by class in order, the first not-yet-taken image of each class, round
    robin, so four images of a two-class split are two of each class.
    """
    labels = torch.as_tensor(labels)
    per_class = [torch.nonzero(labels == c).reshape(-1).tolist() for c in torch.unique(labels).tolist()]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(count, len(labels)):
        for members in per_class:
            if depth < len(members) and len(chosen) < count:
                chosen.append(members[depth])
        depth += 1
    return chosen


@torch.inference_mode()
def take_snapshot(model: CNNModel, epoch: int, images: torch.Tensor, labels: torch.Tensor) -> Snapshot:
    """Filters of every conv layer and the feature map after each conv layer's activation.

    ``images``: (n, 3, H, W) uint8 at the model's input size. Feature maps are
    keyed by conv layer name ("conv1", ...) and taken after that layer's
    batch-norm and activation (before pooling), i.e. what the layer "sees".
    """
    was_training = model.training
    model.eval()
    try:
        filters = {
            name: conv.weight.detach().float().cpu().contiguous().numpy().copy()
            for name, conv in model.conv_layers()
        }
        maps = {}
        if len(images):
            device = next(model.parameters()).device
            batch = images.to(device).float().div(255)  # (n, 3, H, W) float
            activations = model.feature_maps(batch)
            for name in filters:
                layer = name.replace("conv", "act", 1)
                tensor = activations.get(layer, activations[name])
                maps[name] = tensor[:, :MAX_CHANNELS].float().cpu().contiguous().numpy().copy()
    finally:
        model.train(was_training)
    return Snapshot(
        epoch=epoch,
        filters=filters,
        feature_maps=maps,
        images=images.cpu().contiguous().numpy().copy(),
        labels=tuple(int(v) for v in labels.tolist()),
    )
