"""Conv weights and activations as displayable (h, w, 3) uint8 tiles, each normalised on its own.

    tiles, captions, columns = filter_tiles(weights)            # (out, in, k, k) float
    tiles, captions = feature_map_tiles(maps)                    # (channels, h, w) float
"""

from __future__ import annotations

import numpy as np

from cnnstudio.gui.widgets.images import normalise

MODES = ("mean", "channels")  # deeper layers: one tile per filter, or one row per filter


def _grey(values: np.ndarray) -> np.ndarray:
    """(h, w) in [0, 1] -> (h, w, 3) uint8 grey."""
    grey = (np.clip(values, 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def filter_tiles(weights: np.ndarray, mode: str = "mean") -> tuple[list[np.ndarray], list[str], int]:
    """Tiles for a conv layer's (out, in, k, k) weights, their captions, and the columns to use (0 = any).

    A layer that reads 3 channels (the first, reading RGB) gives one colour
    tile per filter. Deeper layers give one grey tile per filter, either the
    mean over its input channels (``mode="mean"``) or, with ``"channels"``,
    one row per filter holding a tile per input channel (captioned only
    at the row's start). Each filter is
    scaled by its own min and max, so weak filters are as visible as strong ones.
    """
    weights = np.asarray(weights, dtype=np.float32)
    out_channels, in_channels = weights.shape[:2]
    tiles: list[np.ndarray] = []
    captions: list[str] = []
    if in_channels == 3:
        for index, kernel in enumerate(weights):
            tiles.append((normalise(kernel.transpose(1, 2, 0)) * 255).round().astype(np.uint8))
            captions.append(f"#{index}")
        return tiles, captions, 0
    if mode == "channels":
        for index, kernel in enumerate(weights):
            scaled = normalise(kernel)
            for channel in range(in_channels):
                tiles.append(_grey(scaled[channel]))
                captions.append(f"#{index}" if channel == 0 else "")
        return tiles, captions, in_channels
    for index, kernel in enumerate(weights):
        tiles.append(_grey(normalise(kernel.mean(axis=0))))
        captions.append(f"#{index}")
    return tiles, captions, 0


def feature_map_tiles(maps: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """One grey tile per channel of a (channels, h, w) activation, each normalised on its own."""
    maps = np.asarray(maps, dtype=np.float32)
    return [_grey(normalise(channel)) for channel in maps], [f"ch {index}" for index in range(len(maps))]
