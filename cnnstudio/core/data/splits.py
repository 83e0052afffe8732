"""Train/validation/test splits, per-channel statistics and batch resizing.

Everything here works on whole uint8 tensors (an ImageSet's ``images``, in
memory or mapped from disk: ``disk_images``), is deterministic for a seed,
reads images a chunk at a time and never makes a float copy of the entire
dataset; resizing disk-backed images writes the result to disk too.
"""

from __future__ import annotations

import torch

from cnnstudio.core.data.disk_images import DiskImageWriter, chunks, read_rows, scratch_dir_of
from cnnstudio.core.data.imageset import ANY_SPLIT, EVAL_ONLY, TRAIN_ONLY

_STATS_CHUNK = 256  # images per chunk when computing channel statistics


def _class_counts(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """How many of a class's ``n`` images go to validation and to test."""
    n_val = round(n * val_fraction)
    n_test = round(n * test_fraction)
    if val_fraction > 0 and n >= 2:
        n_val = max(1, n_val)
    # Training keeps at least one image of every class: take from test first.
    while n - n_val - n_test < 1 and n_test > 0:
        n_test -= 1
    while n - n_val - n_test < 1 and n_val > 0:
        n_val -= 1
    return n_val, n_test


def stratified_split(
    labels: torch.Tensor, val_fraction: float, test_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split image indices into (train, val, test), class by class.

    Each class contributes ``round(n * fraction)`` images to validation and
    test; a class with at least two images always gets one validation image
    (when ``val_fraction > 0``) and always keeps one training image. The
    result depends only on ``labels`` and ``seed``. Returns three sorted
    int64 index tensors that are disjoint and together cover every index.
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1:
        raise ValueError(f"fractions must be in [0, 1), got {val_fraction} and {test_fraction}")
    labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    generator = torch.Generator().manual_seed(int(seed))
    train, val, test = [], [], []
    for label in torch.unique(labels, sorted=True).tolist():
        members = torch.nonzero(labels == label).reshape(-1)  # ascending indices
        members = members[torch.randperm(len(members), generator=generator)]
        n_val, n_test = _class_counts(len(members), val_fraction, test_fraction)
        val.append(members[:n_val])
        test.append(members[n_val : n_val + n_test])
        train.append(members[n_val + n_test :])

    def joined(parts: list[torch.Tensor]) -> torch.Tensor:
        if not parts:
            return torch.empty(0, dtype=torch.int64)
        return torch.sort(torch.cat(parts)).values

    return joined(train), joined(val), joined(test)


def split_by_role(
    labels: torch.Tensor, roles: torch.Tensor | None, val_fraction: float, test_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``stratified_split`` that honours an ImageSet's ``split_roles``.

    Without roles it is exactly ``stratified_split``. With them, the ANY_SPLIT
    images are split by ``stratified_split``, every TRAIN_ONLY image goes to
    training and the EVAL_ONLY images are shared between validation and test,
    class by class, in the ratio of the two fractions (all to validation when
    ``test_fraction`` is 0; validation keeps at least one of each class).
    Returns three sorted, disjoint int64 index tensors covering every index.
    """
    if roles is None:
        return stratified_split(labels, val_fraction, test_fraction, seed)
    labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    roles = torch.as_tensor(roles, dtype=torch.int64).reshape(-1)
    free = torch.nonzero(roles == ANY_SPLIT).reshape(-1)
    train, val, test = (free[part] for part in stratified_split(labels[free], val_fraction, test_fraction, seed))
    trains, vals, tests = [train, torch.nonzero(roles == TRAIN_ONLY).reshape(-1)], [val], [test]
    held = torch.nonzero(roles == EVAL_ONLY).reshape(-1)
    total = val_fraction + test_fraction
    test_share = test_fraction / total if total > 0 else 0.0
    generator = torch.Generator().manual_seed(int(seed) + 1)
    for label in torch.unique(labels[held], sorted=True).tolist():
        members = held[labels[held] == label]
        members = members[torch.randperm(len(members), generator=generator)]
        n_test = min(round(len(members) * test_share), len(members) - 1)
        tests.append(members[:n_test])
        vals.append(members[n_test:])
    train, val, test = (torch.sort(torch.cat(parts)).values for parts in (trains, vals, tests))
    return train, val, test


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of (N, 3, H, W) uint8 images, in [0, 1] units.

    Computed in chunks of float64 sums so memory stays small; the std is the
    population std, clamped to at least 1e-3 so normalising never divides by
    zero (a constant channel). Returns two float32 tensors of shape (3,).
    """
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"channel_stats needs a non-empty (N, C, H, W) tensor, got {tuple(images.shape)}")
    channels = images.shape[1]
    total = torch.zeros(channels, dtype=torch.float64)
    total_sq = torch.zeros(channels, dtype=torch.float64)
    for start in range(0, images.shape[0], _STATS_CHUNK):
        chunk = read_rows(images, start, start + _STATS_CHUNK).to(torch.float64)  # (n, C, H, W)
        total += chunk.sum(dim=(0, 2, 3))
        total_sq += chunk.square().sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    variance = (total_sq / count - mean.square()).clamp_min(0.0)
    std = variance.sqrt() / 255.0
    return (mean / 255.0).to(torch.float32), std.clamp_min(1e-3).to(torch.float32)


def resize_images(
    images: torch.Tensor,
    size: int,
    masks: torch.Tensor | None = None,
    boxes: list[torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor] | None]:
    """Resize (N, 3, H, W) uint8 images to (N, 3, size, size).

    Images use antialiased bilinear interpolation, masks (N, H, W) nearest
    neighbour (they stay 0/1), and each (K, 4) x0, y0, x1, y1 box tensor is
    scaled by the same factors. Inputs already at that size come back
    unchanged (the same objects, no copy). Disk-backed images are resized a
    chunk at a time into a new image file beside theirs.
    """
    height, width = int(images.shape[-2]), int(images.shape[-1])
    if (height, width) == (size, size):
        return images, masks, boxes
    # Here: torchvision takes about a second to import, and a folder at the model's size never needs it.
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.v2 import functional as F

    scratch = scratch_dir_of(images)
    if scratch is None:
        resized = F.resize(images, [size, size], interpolation=InterpolationMode.BILINEAR, antialias=True)
    else:
        writer = DiskImageWriter(size, scratch_dir=scratch)
        for start, stop in chunks(int(images.shape[0])):
            writer.append(F.resize(read_rows(images, start, stop), [size, size],
                                   interpolation=InterpolationMode.BILINEAR, antialias=True))
        resized = writer.finish()
    if masks is not None:
        masks = F.resize(
            masks.unsqueeze(1), [size, size], interpolation=InterpolationMode.NEAREST_EXACT
        ).squeeze(1)
    if boxes is not None:
        scale = torch.tensor([size / width, size / height, size / width, size / height])
        boxes = [b * scale.to(b.dtype) if b.is_floating_point() else b.float() * scale for b in boxes]
    return resized, masks, boxes
