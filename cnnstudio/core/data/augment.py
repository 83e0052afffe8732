"""Batch augmentation on tensors: random horizontal flips and shifts, per image.

torchvision's v2 transforms draw one random decision per call, so applied to
a batch they flip *every* image or none. Here each image gets its own flip
and shift, drawn only from the generator passed in, so training is
reproducible for a seed. Masks and boxes move with their images.

Flip and shift are folded into one gather: for every output pixel we compute
which source pixel it comes from, so a batch costs about two tensor copies.
"""

from __future__ import annotations

import torch


class BatchAugmenter:
    """Random per-image horizontal flip and shift for a training batch.

    flip:  mirror each image left-right with probability 1/2.
    shift: translate each image by whole pixels, independently in x and y,
           by up to ``max_shift_fraction`` of its size. Images are padded by
           repeating their edge pixels (no black borders for the network to
           learn from); masks are padded with zeros; boxes are moved and
           clipped to the image (a box pushed fully outside keeps zero area).
    """

    def __init__(self, flip: bool, shift: bool, max_shift_fraction: float = 0.125) -> None:
        if not 0 <= max_shift_fraction < 1:
            raise ValueError(f"max_shift_fraction must be in [0, 1), got {max_shift_fraction}")
        self.flip = flip
        self.shift = shift
        self.max_shift_fraction = max_shift_fraction

    @property
    def enabled(self) -> bool:
        return self.flip or self.shift

    def __call__(
        self,
        images: torch.Tensor,
        masks: torch.Tensor | None,
        boxes: list[torch.Tensor] | None,
        generator: torch.Generator,
        share: tuple[int, int] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor] | None]:
        """Augment (N, 3, H, W) images with their (N, H, W) masks and per-image (K, 4) boxes.

        Random numbers come only from ``generator`` (drawn on its device), in
        a fixed order: flips, then vertical shifts, then horizontal shifts.
        With both switches off the inputs are returned as they are.
        ``share`` = (global batch size, first row): the images are those rows of a
        larger batch (one process's share under data-parallel training); the draws
        are made for the whole batch and sliced, so each image gets what it would
        get on one process.
        """
        if not self.enabled or images.shape[0] == 0:
            return images, masks, boxes
        n, _, height, width = images.shape
        device = images.device
        total, first = share or (n, 0)
        mine = slice(first, first + n)  # this batch's rows of the draws
        flipped = torch.zeros(n, dtype=torch.bool, device=device)
        dy = torch.zeros(n, dtype=torch.int64, device=device)
        dx = torch.zeros(n, dtype=torch.int64, device=device)
        if self.flip:
            flipped = (torch.rand(total, generator=generator, device=generator.device)[mine] < 0.5).to(device)
        if self.shift:
            max_dy = int(height * self.max_shift_fraction)
            max_dx = int(width * self.max_shift_fraction)
            dy = _draw_shifts(max_dy, total, generator)[mine].to(device)
            dx = _draw_shifts(max_dx, total, generator)[mine].to(device)

        # out[y, x] = flip(in)[y - dy, x - dx]; clamping the source repeats the edge.
        source_rows = torch.arange(height, device=device).view(1, height) - dy.view(n, 1)  # (N, H)
        source_cols = torch.arange(width, device=device).view(1, width) - dx.view(n, 1)  # (N, W)
        rows = source_rows.clamp(0, height - 1)
        cols = source_cols.clamp(0, width - 1)
        cols = torch.where(flipped.view(n, 1), width - 1 - cols, cols)
        flat_index = (rows.view(n, height, 1) * width + cols.view(n, 1, width)).view(n, 1, height * width)
        images = _gather_pixels(images, flat_index)
        if masks is not None:
            inside = ((source_rows >= 0) & (source_rows < height)).view(n, height, 1) & (
                (source_cols >= 0) & (source_cols < width)
            ).view(n, 1, width)  # (N, H, W) bool
            moved = _gather_pixels(masks.unsqueeze(1), flat_index).squeeze(1)
            masks = torch.where(inside, moved, torch.zeros_like(moved))
        if boxes is not None:
            boxes = _move_boxes(boxes, flipped, dx, dy, height, width)
        return images, masks, boxes


def _draw_shifts(limit: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` whole-pixel shifts in [-limit, limit]."""
    if limit == 0:
        return torch.zeros(n, dtype=torch.int64)
    return torch.randint(-limit, limit + 1, (n,), generator=generator, device=generator.device)


def _gather_pixels(tensor: torch.Tensor, flat_index: torch.Tensor) -> torch.Tensor:
    """Pick pixels of (N, C, H, W) ``tensor`` by (N, 1, H*W) flat source indices."""
    n, channels, height, width = tensor.shape
    flat = tensor.reshape(n, channels, height * width)
    return flat.gather(2, flat_index.expand(n, channels, height * width)).view(n, channels, height, width)


def _move_boxes(
    boxes: list[torch.Tensor], flipped: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, height: int, width: int
) -> list[torch.Tensor]:
    """Flip and shift each image's (K, 4) x0, y0, x1, y1 pixel boxes, clipped to the image.

    All boxes of the batch are moved in one go (a per-image loop of
    tv_tensors kernels cost more than the image gather itself).
    """
    counts = [len(b) for b in boxes]
    if sum(counts) == 0:
        return boxes
    reference = next(b for b in boxes if len(b))
    dtype, device = reference.dtype if reference.is_floating_point() else torch.float32, reference.device
    every = torch.cat([b.to(dtype).reshape(-1, 4) for b in boxes])  # (sum K, 4)
    owner = torch.repeat_interleave(torch.arange(len(boxes), device=device), torch.tensor(counts, device=device))
    flip = flipped.to(device)[owner].view(-1, 1)
    mirrored = torch.stack([width - every[:, 2], every[:, 1], width - every[:, 0], every[:, 3]], dim=1)
    every = torch.where(flip, mirrored, every)
    x, y = dx.to(device, dtype)[owner], dy.to(device, dtype)[owner]
    every = every + torch.stack([x, y, x, y], dim=1)
    limits = torch.tensor([width, height, width, height], dtype=dtype, device=device)
    every = torch.minimum(every.clamp_min(0), limits)
    return list(every.split(counts))
