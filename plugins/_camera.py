"""A cheap camera for the generated photo datasets (retail products, logos in scenes): blur, exposure, grain.

A private module of the built-in plugins, loaded with ``plugin_api.private_module``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def camera(rng: np.random.Generator, image: Any, size: int, settings: dict[str, Any], exposure_spread: float) -> Any:
    """Blur, contrast and brightness (within ``exposure_spread`` of mid-grey), sensor noise;
    (n, 3, H * W) float32 in [0, 1] -> (n, 3, H, W) uint8. ``settings`` holds ``blur`` (the share of
    images blurred), ``contrast`` (low, high) and ``noise`` (its strength)."""
    n = len(image)
    blurred = np.flatnonzero(rng.uniform(0, 1, n) < settings["blur"])
    if blurred.size:
        soft = image[blurred].reshape(-1, 3, size, size)
        soft[:, :, 1:-1, :] = (soft[:, :, :-2, :] + soft[:, :, 1:-1, :] + soft[:, :, 2:, :]) / 3
        soft[:, :, :, 1:-1] = (soft[:, :, :, :-2] + soft[:, :, :, 1:-1] + soft[:, :, :, 2:]) / 3
        image[blurred] = soft.reshape(-1, 3, size * size)
    contrast = _uniform(rng, n, *settings["contrast"], 1) * 255
    offset = (0.5 + _uniform(rng, n, -exposure_spread, exposure_spread, 1)) * 255 - 0.5 * contrast + 0.5  # rounds
    noise = _uniform(rng, n, 0.3, 1.0, 1) * settings["noise"] * 255 * np.sqrt(12)  # uniform noise of that sigma
    image *= contrast[:, None]
    # Sensor (luminance) noise: windows at random offsets into one shared pool
    # look as random as fresh noise per image, at a fraction of the cost.
    pool = rng.random(size * size + 4096, dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(pool, size * size)
    grain = windows[rng.integers(0, 4096, n)]  # (n, H * W)
    grain *= noise
    grain += offset - noise / 2
    image += grain[:, None]
    return np.clip(image, 0.0, 255.0, out=image).astype(np.uint8).reshape(n, 3, size, size)


def _uniform(rng: np.random.Generator, n: int, low: float, high: float, *shape: int) -> Any:
    """(n, *shape) float32 uniform draws."""
    return rng.uniform(low, high, (n, *shape)).astype(np.float32)
