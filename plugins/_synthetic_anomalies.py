"""Synthetic defects painted on good images, so a heat-map head can learn defects from good parts alone.

In the spirit of CutPaste (Li et al. 2021: a "scar", a thin stripe of pixels
pasted from elsewhere) and DRAEM (Zavrtanik et al. 2021: a noise-shaped
region filled with another texture, with its mask), each synthetic image is
one good image with one of:

- a scar: a thin curved stroke, 1-3 px wide, brighter or darker than what
  it crosses, or filled with the pixels of another good image;
- a blob: a region shaped by smooth noise (0.5-4% of the image) filled with
  the pixels of another good image, shifted, or with its own pixels made
  brighter or darker.

The mask marks where the painted opacity exceeds 0.35, as the generated
surfaces do. ``with_synthetic_defects`` adds one such copy per good image
to an ImageSet and sets its split roles. Everything is drawn from a seeded generator: the same images
and seed give the same synthetic set, so a run's splits are reproducible.

Private to the bundled plugins (imported lazily from a load function), so
torch may be imported at the top.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

MASK_LEVEL = 0.35  # opacity above which a pixel counts as defect
BLOB_AREA = (0.005, 0.04)  # share of the image a blob covers
# Share of synthetic images that get a scar (the rest a blob). Measured on hairline scratches
# (bench/real_photos_good_only.py, good images only, one seed): held-out AUROC 0.70 at 0.5, 0.70 at
# 0.7, 0.78 at 1.0; blobs are kept for stains and missing pieces, which scars do not look like.
SCAR_SHARE = 0.7


def paint_synthetic_defects(
    images: torch.Tensor, count: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """``count`` synthetic defect images made from ``images`` (N, 3, H, W) uint8.

    Returns the images (count, 3, H, W) uint8, their masks (count, H, W) uint8
    (1 = painted defect, never empty) and the index of the good image each
    one was painted on (cycling through ``images`` in order).
    """
    n, _, height, width = images.shape
    if n == 0 or count <= 0:
        return images[:0].clone(), torch.zeros(0, height, width, dtype=torch.uint8), []
    generator = torch.Generator().manual_seed(int(seed))
    painted, masks, origins = [], [], []
    for k in range(count):
        index = k % n
        other = images[int(torch.randint(n, (1,), generator=generator))] if n > 1 else images[index]
        image, mask = paint_one(images[index], other, generator)
        painted.append(image)
        masks.append(mask)
        origins.append(index)
    return torch.stack(painted), torch.stack(masks), origins


def with_synthetic_defects(imageset: Any, seed: int = 0, keep_real_for_evaluation: bool = False) -> Any:
    """``imageset`` plus one synthetic defect image (label 1, with its mask) per good image.

    With real defect images the synthetic ones are training-only (validation
    and test score real defects), and with ``keep_real_for_evaluation`` the real
    ones are evaluation-only; without real defects every image may go to any
    split, so validation scores the synthetic defects.
    """
    from cnnstudio.plugin_api import ANY_SPLIT, EVAL_ONLY, TRAIN_ONLY, ImageSet

    good = torch.nonzero(imageset.labels == 0).reshape(-1)
    painted, painted_masks, origins = paint_synthetic_defects(imageset.images[good], len(good), seed)
    n = len(imageset)
    masks = imageset.masks if imageset.masks is not None else torch.zeros(n, *imageset.image_size, dtype=torch.uint8)
    roles = torch.full((n + len(painted),), ANY_SPLIT, dtype=torch.int64)
    if bool((imageset.labels != 0).any()):
        roles[n:] = TRAIN_ONLY
    if keep_real_for_evaluation:
        roles[:n][imageset.labels != 0] = EVAL_ONLY
    return ImageSet(
        images=torch.cat([imageset.images, painted]),
        labels=torch.cat([imageset.labels, torch.ones(len(painted), dtype=torch.int64)]),
        class_names=list(imageset.class_names),
        masks=torch.cat([masks, painted_masks]),
        sources=[*imageset.sources, *(f"{imageset.sources[int(good[i])]}#synthetic" for i in origins)],
        skipped=imageset.skipped,
        name=imageset.name,
        split_roles=roles,
    )


def paint_one(image: torch.Tensor, other: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``image`` (3, H, W) uint8 with one synthetic defect, and its (H, W) uint8 0/1 mask."""
    height, width = image.shape[-2:]
    for _ in range(10):  # redraw the rare shape that ends up (almost) outside the image
        if _uniform(generator) < SCAR_SHARE:
            alpha = scar_alpha(height, width, generator)
        else:
            alpha = blob_alpha(height, width, generator)
        mask = alpha > MASK_LEVEL
        if int(mask.sum()) >= 3:
            break
    base = image.float()
    fill = _fill(base, other.float(), alpha, generator)
    strength = 0.7 + 0.3 * _uniform(generator)
    blend = strength * alpha[None]
    out = base * (1 - blend) + fill * blend
    return out.round().clamp(0, 255).to(torch.uint8), mask.to(torch.uint8)


def _fill(base: torch.Tensor, other: torch.Tensor, alpha: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """What the defect region shows: another image's pixels (shifted) or this one's, brighter or darker."""
    if _uniform(generator) < 0.4:
        shift = [int(v) for v in torch.randint(-base.shape[-1] // 2, base.shape[-1] // 2, (2,), generator=generator)]
        return torch.roll(other, shifts=shift, dims=(-2, -1))
    inside = alpha > MASK_LEVEL
    local = float(base[:, inside].mean()) if bool(inside.any()) else float(base.mean())
    offset = 60 + 60 * _uniform(generator)
    target = local + offset if (_uniform(generator) < 0.5 and local + offset <= 255) or local - offset < 0 else local - offset
    return torch.full_like(base, min(255.0, max(0.0, target))) + 0.15 * (base - local)


def scar_alpha(height: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """(H, W) opacity of a thin quadratic-Bezier stroke, 1-3 px wide, antialiased."""
    side = min(height, width)
    length = side * (0.15 + 0.5 * _uniform(generator))
    start = torch.tensor([_uniform(generator) * (width - 1), _uniform(generator) * (height - 1)])
    angle = 2 * math.pi * _uniform(generator)
    end = start + length * torch.tensor([math.cos(angle), math.sin(angle)])
    bend = (torch.rand(2, generator=generator) - 0.5) * length * 0.6
    control = (start + end) / 2 + bend
    steps = max(8, int(2 * length))
    t = torch.linspace(0, 1, steps)[:, None]
    points = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end  # (P, 2) x, y
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")
    pixels = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (H*W, 2)
    distance = torch.cdist(pixels, points).amin(dim=1).reshape(height, width)
    half_width = 0.5 + _uniform(generator)  # 1-3 px wide
    return (half_width + 0.5 - distance).clamp(0, 1)


def blob_alpha(height: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """(H, W) opacity of a smooth-noise-shaped region covering BLOB_AREA of the image."""
    cells = int(torch.randint(3, 8, (1,), generator=generator))
    noise = torch.rand(1, 1, cells, cells, generator=generator)
    noise = F.interpolate(noise, size=(height, width), mode="bicubic", align_corners=False)[0, 0]
    centre_y, centre_x = _uniform(generator) * height, _uniform(generator) * width
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")
    spread = min(height, width) * (0.1 + 0.1 * _uniform(generator))
    window = torch.exp(-((ys - centre_y) ** 2 + (xs - centre_x) ** 2) / (2 * spread**2))
    field = noise * window
    area = BLOB_AREA[0] + (BLOB_AREA[1] - BLOB_AREA[0]) * _uniform(generator)
    level = torch.quantile(field.reshape(-1), 1 - area)
    # Opacity 1 inside the chosen share, fading over a thin rim.
    return ((field - level) / (0.1 * level.clamp_min(1e-6)) + 1).clamp(0, 1) * (field > level * 0.9)


def _uniform(generator: torch.Generator) -> float:
    return float(torch.rand((), generator=generator))
