"""Numpy-only image helpers shared by the GUI and the HTML report: channel layout, scaling, heat colours.

    as_hwc(image)                   # (3, H, W) / (H, W, 3) / (H, W) -> (H, W, 3) uint8
    overlay_heatmap(image, heat)    # a [0, 1] map blended over the image in heat colours
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_hwc(image: Any) -> np.ndarray:
    """A (3, H, W) or (H, W, 3) uint8 tensor/array, or (H, W) grey, as a contiguous (H, W, 3) uint8 array."""
    array = image.detach().cpu().numpy() if hasattr(image, "detach") else np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.ndim == 3 and array.shape[0] == 3 and array.shape[2] != 3:
        array = array.transpose(1, 2, 0)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def normalise(values: Any) -> np.ndarray:
    """Scale an array to [0, 1] by its own min and max (a flat array becomes all 0.5)."""
    array = np.asarray(values, dtype=np.float32)
    low, high = float(array.min()), float(array.max())
    if high - low < 1e-12:
        return np.full_like(array, 0.5)
    return (array - low) / (high - low)


def heat_colours(values: Any) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8, dark blue through red to yellow."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)
    red = np.clip(2.0 * v, 0, 1)
    green = np.clip(2.0 * v - 1.0, 0, 1)
    blue = np.clip(0.6 - 1.2 * v, 0, 1) * (v < 0.5)
    return (np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)


def overlay_heatmap(image: Any, heatmap: Any, alpha: float = 0.45) -> np.ndarray:
    """(H, W, 3) uint8: ``image`` with a heat map (any (h, w) in [0, 1]) blended over it, resized to fit."""
    base = as_hwc(image).astype(np.float32)
    height, width, _ = base.shape
    heat = np.asarray(heatmap.detach().cpu() if hasattr(heatmap, "detach") else heatmap, dtype=np.float32)
    rows = (np.arange(height) * heat.shape[0] // height).clip(0, heat.shape[0] - 1)
    cols = (np.arange(width) * heat.shape[1] // width).clip(0, heat.shape[1] - 1)
    coloured = heat_colours(heat[rows][:, cols]).astype(np.float32)
    weight = alpha * heat[rows][:, cols][:, :, None]  # strong where the map is hot
    return (base * (1 - weight) + coloured * weight).astype(np.uint8)
