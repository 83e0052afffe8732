"""Images for the HTML report: arrays as base64 PNG data URIs, conv filters as tile mosaics.

    png_data_uri(image, min_size=128)    # (3, H, W) / (H, W, 3) uint8 -> "data:image/png;base64,..."
    filter_mosaic(weights)               # (out, in, k, k) float -> (H, W, 3) uint8 grid of tiles
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from PIL import Image

from cnnstudio.core.report.colour_maps import as_hwc, normalise


def png_bytes(image: Any, min_size: int = 0) -> bytes:
    """PNG bytes of an image, enlarged by a whole factor (nearest: pixels stay sharp) to at least ``min_size``."""
    array = as_hwc(image)
    height, width, _ = array.shape
    factor = max(1, math.ceil(min_size / max(1, min(height, width)))) if min_size else 1
    picture = Image.fromarray(array, mode="RGB")
    if factor > 1:
        picture = picture.resize((width * factor, height * factor), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def png_data_uri(image: Any, min_size: int = 0) -> str:
    """A ``data:image/png;base64,...`` URI of ``image`` (see ``png_bytes``)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image, min_size)).decode("ascii")


def filter_tiles(weights: Any, limit: int | None = None) -> list[np.ndarray]:
    """(k, k, 3) uint8 tiles of a conv layer's (out, in, k, k) weights, each scaled by its own min and max.

    A layer reading 3 channels (the first, reading RGB) gives colour tiles;
    deeper layers give grey tiles of the mean over their input channels.
    """
    weights = np.asarray(weights, dtype=np.float32)[:limit]
    if weights.shape[1] == 3:
        return [(normalise(kernel.transpose(1, 2, 0)) * 255).round().astype(np.uint8) for kernel in weights]
    tiles = []
    for kernel in weights:
        grey = (normalise(kernel.mean(axis=0)) * 255).round().astype(np.uint8)
        tiles.append(np.repeat(grey[:, :, None], 3, axis=2))
    return tiles


def filter_mosaic(weights: Any, limit: int | None = None, columns: int = 16, tile_px: int = 36, gap: int = 4) -> np.ndarray:
    """One (H, W, 3) uint8 image: the filters' tiles in a grid on a white background, each enlarged to ``tile_px``."""
    tiles = filter_tiles(weights, limit)
    if not tiles:
        return np.full((tile_px, tile_px, 3), 255, dtype=np.uint8)
    kernel = tiles[0].shape[0]
    factor = max(1, tile_px // kernel)
    size = kernel * factor
    columns = min(columns, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    mosaic = np.full((rows * (size + gap) - gap, columns * (size + gap) - gap, 3), 255, dtype=np.uint8)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        big = tile.repeat(factor, axis=0).repeat(factor, axis=1)
        y, x = row * (size + gap), column * (size + gap)
        mosaic[y:y + size, x:x + size] = big
    return mosaic
