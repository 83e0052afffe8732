"""Pixel metrics of defect maps, as anomalib reports them for MVTec-AD.

- ``pixel_auroc``: ROC AUC over every pixel of every image (a pixel is positive when its mask
  marks it), no threshold.
- ``pixel_iou``: intersection over union of the pixels above the threshold and the mask pixels,
  over all images together.
- ``pixel_pro``: per-region overlap at the threshold: each connected defect region (8-connected) of
  each mask scores the share of its pixels above the threshold; PRO is the mean over regions, so
  a small scratch counts as much as a large stain.

Maps are (N, h, w) scores in [0, 1] at any resolution; they are upsampled bilinearly to the
masks' (N, H, W) first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnstudio.core.evaluate.metrics import mask_iou, roc_auc

MAP_THRESHOLD = 0.5  # the heat-map heads' per-pixel cut


def maps_at_mask_size(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """(N, h, w) maps bilinearly resized to the masks' (H, W)."""
    if tuple(maps.shape[-2:]) == tuple(masks.shape[-2:]):
        return maps.float()
    return F.interpolate(maps[:, None].float(), size=tuple(masks.shape[-2:]), mode="bilinear", align_corners=False)[:, 0]


def pixel_auroc(maps: torch.Tensor, masks: torch.Tensor) -> float:
    """ROC AUC of the map's scores against the mask pixels (NaN when every pixel is of one kind)."""
    scores = maps_at_mask_size(maps, masks).flatten()
    return roc_auc(scores, masks.flatten() > 0)


def pixel_iou(maps: torch.Tensor, masks: torch.Tensor, threshold: float = MAP_THRESHOLD) -> float:
    """IoU of the pixels above ``threshold`` and the mask pixels, over all images together."""
    return mask_iou(maps_at_mask_size(maps, masks) > threshold, masks > 0)


def connected_regions(masks: torch.Tensor) -> torch.Tensor:
    """(N, H, W) int64 labels of the 8-connected regions of ``masks`` (0: background; each region of
    each image has its own label). Labels spread by max-pooling until nothing changes."""
    binary = masks > 0
    count = binary.numel()
    labels = torch.where(binary, torch.arange(1, count + 1, dtype=torch.float64).view(binary.shape), 0.0)
    # float64 holds every label exactly (up to 2**53 pixels); max_pool2d needs a float tensor.
    while True:
        spread = F.max_pool2d(labels[:, None], kernel_size=3, stride=1, padding=1)[:, 0]
        spread = torch.where(binary, spread, 0.0)
        if torch.equal(spread, labels):
            return labels.long()
        labels = spread


def pixel_pro(maps: torch.Tensor, masks: torch.Tensor, threshold: float = MAP_THRESHOLD) -> float:
    """Mean over connected mask regions of the share of their pixels above ``threshold`` (NaN without regions)."""
    regions = connected_regions(masks).flatten()
    inside = regions > 0
    if not bool(inside.any()):
        return float("nan")
    _, region_index = torch.unique(regions[inside], return_inverse=True)
    hits = (maps_at_mask_size(maps, masks).flatten()[inside] > threshold).double()
    sizes = torch.bincount(region_index).double()
    covered = torch.bincount(region_index, weights=hits)
    return float((covered / sizes).mean())


def pixel_metrics(maps: torch.Tensor, masks: torch.Tensor, threshold: float = MAP_THRESHOLD) -> dict[str, float]:
    """``pixel_auroc`` (every image's pixels), and ``pixel_iou`` and ``pixel_pro`` at ``threshold``; metrics
    that cannot be computed (no defect pixel, or no normal one) are left out."""
    result = {
        "pixel_auroc": pixel_auroc(maps, masks),
        "pixel_iou": pixel_iou(maps, masks, threshold),
        "pixel_pro": pixel_pro(maps, masks, threshold),
    }
    return {name: value for name, value in result.items() if value == value}  # NaN != NaN


def defect_map_metrics(maps: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor,
                       threshold: float = MAP_THRESHOLD) -> dict[str, float]:
    """``pixel_auroc`` over the images whose mask is known (normal ones, and defective ones with a non-empty
    mask) and ``pixel_pro`` over the defective ones with a mask; a defect image with an empty mask (no
    ground-truth file) says nothing about where, so it is left out of both."""
    marked = masks.flatten(1).amax(dim=1) > 0
    known, defects = (labels == 0) | marked, (labels != 0) & marked
    result: dict[str, float] = {}
    if bool(known.any()):
        result["pixel_auroc"] = pixel_auroc(maps[known], masks[known])
    if bool(defects.any()):
        result["pixel_pro"] = pixel_pro(maps[defects], masks[defects], threshold)
    return {name: value for name, value in result.items() if value == value}
