"""Vectorised drawing for the manufacturing plugin: surface textures and defects.

Every function works on a whole batch of images at once. Pixel coordinates
``x, y`` are float32 arrays of shape (1, H * W) in [-1, 1] (x to the right,
y up; flattened because NumPy broadcasts a per-image (k, 1) parameter over a
2-D array much faster than over (k, H, W)). One pixel is ``2 / size`` long.

Textures return a brightness field (k, H * W) of about [-1, 1]. Defects
return ``(alpha, effect)``: how much of the defect covers each pixel (0..1,
the mask is ``alpha >= MASK_LEVEL``) and a signed brightness or blend
strength the caller applies.

This module is private to plugins/manufacturing.py (a leading underscore
keeps the plugin manager from loading it as a plugin) and imports only NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray
TEXTURES = ("metal", "fabric", "wood", "concrete")
DEFECTS = ("scratch", "crack", "spot", "dent", "contamination")
# A pixel belongs to the defect mask where the defect covers at least this much of it.
MASK_LEVEL = 0.3


def grid(size: int) -> tuple[Array, Array]:
    """Pixel-centre coordinates in [-1, 1], flattened row by row to (1, H * W)."""
    axis = ((np.arange(size) + 0.5) / size * 2 - 1).astype(np.float32)
    return np.tile(axis, size)[None], -np.repeat(axis, size)[None]


def uniform(rng: Any, k: int, low: float, high: float, *shape: int) -> Array:
    """(k, *shape) float32 uniform draws."""
    return rng.uniform(low, high, (k, *shape)).astype(np.float32)


def rotate(x: Array, y: Array, angle: Array, cx: Array | float = 0.0, cy: Array | float = 0.0) -> tuple[Array, Array]:
    """Coordinates along and across a direction ``angle`` (k, 1), relative to (cx, cy)."""
    c, s = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    dx, dy = x - cx, y - cy
    return dx * c + dy * s, dy * c - dx * s


def value_noise(rng: Any, k: int, low: int, size: int) -> Array:
    """Smooth random field (k, H * W) of about unit spread: random (low x low) values, bilinearly enlarged."""
    values = rng.standard_normal((k, low, low), dtype=np.float32)
    if low >= size:
        return values[:, :size, :size].reshape(k, size * size)
    source = np.clip((np.arange(size) + 0.5) * low / size - 0.5, 0, low - 1)
    left = np.minimum(np.floor(source).astype(int), low - 2)
    weights = np.zeros((size, low), dtype=np.float32)
    weights[np.arange(size), left] = 1 - (source - left)
    weights[np.arange(size), left + 1] = source - left
    return (weights @ values @ weights.T).reshape(k, size * size)


def grain(rng: Any, k: int, length: int) -> Array:
    """(k, length) float32 standard-normal-looking noise, cheaply.

    Windows at random offsets into one shared pool of normal draws look as
    random as fresh noise per image at a fraction of the cost.
    """
    pool = rng.standard_normal(length + 4096, dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(pool, length)
    return windows[rng.integers(0, 4096, k)]


def lookup(table: Array, position: Array, smooth: bool = False) -> Array:
    """Row-wise 1-D table lookup: ``table`` (k, M), ``position`` (k, P) in table cells (wraps around).

    ``smooth`` interpolates linearly between cells instead of taking the nearest.
    """
    whole = np.floor(position)
    index = whole.astype(np.int64) % table.shape[1]
    value = np.take_along_axis(table, index, axis=1)
    if not smooth:
        return value
    after = np.take_along_axis(table, (index + 1) % table.shape[1], axis=1)
    return value + (after - value) * (position - whole)


# --- textures ---------------------------------------------------------------
# Each takes rng, x, y, size and ``scale`` (k, 1): a per-image zoom (texture
# scale variation) and returns a brightness field (k, H * W).


def metal(rng: Any, x: Array, y: Array, size: int, scale: Array) -> Array:
    """Brushed metal: fine straight streaks along a random direction, with soft sheen."""
    k = len(scale)
    _, across = rotate(x, y, uniform(rng, k, 0, np.pi, 1))
    streaks = rng.standard_normal((k, 4 * size), dtype=np.float32)
    coarse = rng.standard_normal((k, size), dtype=np.float32)
    pixel = (across + 2) * (size / 2) / scale  # in pixels across the brushing
    field = 0.55 * lookup(streaks, pixel) + 0.45 * lookup(coarse, pixel / 3, smooth=True)
    return 0.6 * field + 0.5 * value_noise(rng, k, 4, size)


def fabric(rng: Any, x: Array, y: Array, size: int, scale: Array) -> Array:
    """Plain-weave fabric: warp and weft threads alternating over and under."""
    k = len(scale)
    u, v = rotate(x, y, uniform(rng, k, -0.3, 0.3, 1))
    period = uniform(rng, k, 3.0, 5.0, 1) * scale * (2 / size)  # thread pitch in coordinate units
    a, b = u * (np.pi / period), v * (np.pi / period)
    warp_on_top = np.sin(a) * np.sin(b) > 0
    ridge = np.where(warp_on_top, np.abs(np.cos(b)), np.abs(np.cos(a)))  # bright along the top thread
    shade = np.where(warp_on_top, 0.15, -0.15)  # the two thread sets catch light differently
    slub = 0.3 * value_noise(rng, k, max(4, size // 8), size)
    return 1.6 * ridge - 0.9 + shade + slub


def wood(rng: Any, x: Array, y: Array, size: int, scale: Array) -> Array:
    """Wood grain: wavy growth rings with fine fibre streaks along them."""
    k = len(scale)
    along, across = rotate(x, y, uniform(rng, k, -0.4, 0.4, 1) + np.pi / 2 * rng.integers(0, 2, (k, 1)))
    rings = uniform(rng, k, 3.0, 6.0, 1) / scale
    warp = 0.15 * value_noise(rng, k, 3, size) + uniform(rng, k, 0.01, 0.08, 1) * np.sin(along * uniform(rng, k, 1.5, 4, 1))
    phase = (across + warp) * rings
    grain = np.sin(phase * (2 * np.pi))
    late_wood = np.clip(grain * 2.5 - 1.2, -1.0, 1.0)  # narrow dark bands
    fibres = rng.standard_normal((k, 8 * size), dtype=np.float32)
    streak = lookup(fibres, (phase + 4) * (size * 0.8))
    return 0.65 * late_wood + 0.25 * streak + 0.2


def concrete(rng: Any, x: Array, y: Array, size: int, scale: Array) -> Array:
    """Concrete: mottled multi-scale noise, fine grit and a few small dark pores."""
    k = len(scale)
    field = 0.5 * value_noise(rng, k, 5, size) + 0.35 * value_noise(rng, k, max(6, size // 6), size)
    field += 0.3 * grain(rng, k, size * size)
    pores = rng.random((k, size * size), dtype=np.float32) < 0.006 / scale
    field -= pores * 1.2
    return field * 0.8


TEXTURE_FUNCTIONS = {"metal": metal, "fabric": fabric, "wood": wood, "concrete": concrete}


def texture_colours(rng: Any, name: str, k: int) -> tuple[Array, Array]:
    """Base colour (k, 3) and texture contrast factor (k, 1) of a texture's palette."""
    if name == "metal":
        grey = uniform(rng, k, 0.5, 0.75, 1)
        colour = grey + uniform(rng, k, -0.03, 0.03, 3) + np.array([0.0, 0.01, 0.04], dtype=np.float32)
        return colour, np.full((k, 1), 0.9, np.float32)
    if name == "fabric":
        colour = hsv_to_rgb(uniform(rng, k, 0, 1), uniform(rng, k, 0.15, 0.6), uniform(rng, k, 0.45, 0.8))
        return colour, np.full((k, 1), 1.0, np.float32)
    if name == "wood":
        colour = hsv_to_rgb(uniform(rng, k, 0.05, 0.1), uniform(rng, k, 0.35, 0.65), uniform(rng, k, 0.5, 0.8))
        return colour, np.full((k, 1), 1.0, np.float32)
    grey = uniform(rng, k, 0.45, 0.65, 1)
    return grey + uniform(rng, k, -0.02, 0.03, 3), np.full((k, 1), 0.9, np.float32)


def hsv_to_rgb(h: Array, s: Array, v: Array) -> Array:
    """Vectorised HSV -> RGB for (k,) arrays; returns (k, 3) float32."""
    q = (np.array([5.0, 3.0, 1.0], dtype=np.float32)[None, :] + h[:, None] * 6) % 6
    return (v[:, None] - v[:, None] * s[:, None] * np.clip(np.minimum(q, 4 - q), 0, 1)).astype(np.float32)


# --- defects ----------------------------------------------------------------
# Each takes rng, x, y, size and ``grow`` (k, 1), a per-image size factor in
# pixels-at-64 units scaled to the image, and returns (alpha, effect): alpha
# (k, H * W) in [0, 1] and effect (k, H * W) signed brightness change per
# unit of contrast (the caller multiplies by the image's contrast).


def _centre(rng: Any, k: int, reach: float = 0.65) -> tuple[Array, Array]:
    return uniform(rng, k, -reach, reach, 1), uniform(rng, k, -reach, reach, 1)


def _line(along: Array, across: Array, half_length: Array) -> Array:
    """Distance to a segment from -half_length to +half_length on the ``along`` axis."""
    beyond = along - np.clip(along, -half_length, half_length)
    return np.sqrt(beyond * beyond + across * across)


def scratch(rng: Any, x: Array, y: Array, size: int, grow: Array) -> tuple[Array, Array]:
    """A thin, slightly curved line, usually brighter than the surface (bare metal, scuffed fibres)."""
    k = len(grow)
    pixel = 2 / size
    cx, cy = _centre(rng, k)
    along, across = rotate(x, y, uniform(rng, k, 0, np.pi, 1), cx, cy)
    half_length = uniform(rng, k, 7, 18, 1) * grow * pixel
    bend = uniform(rng, k, -0.15, 0.15, 1)
    across = across - bend * (along * along) / half_length
    width = np.maximum(uniform(rng, k, 0.45, 0.9, 1) * np.sqrt(grow), 0.45)  # half width in pixels
    distance = _line(along, across, half_length) / pixel
    taper = np.clip((half_length - np.abs(along)) / (0.25 * half_length) + 0.3, 0.0, 1.0)
    alpha = np.clip(width + 0.5 - distance, 0.0, 1.0) * taper
    sign = np.where(rng.random((k, 1)) < 0.7, 1.0, -1.0).astype(np.float32)
    return alpha, alpha * sign


def crack(rng: Any, x: Array, y: Array, size: int, grow: Array) -> tuple[Array, Array]:
    """A dark jagged fracture line, widest in the middle and thinning to its tips."""
    k = len(grow)
    pixel = 2 / size
    cx, cy = _centre(rng, k)
    along, across = rotate(x, y, uniform(rng, k, 0, np.pi, 1), cx, cy)
    half_length = uniform(rng, k, 8, 20, 1) * grow * pixel
    steps = along / pixel
    jag = (np.sin(steps * uniform(rng, k, 0.5, 0.9, 1) + uniform(rng, k, 0, 6.3, 1))
           + 0.6 * np.sin(steps * uniform(rng, k, 1.2, 2.0, 1) + uniform(rng, k, 0, 6.3, 1)))
    across = across - jag * uniform(rng, k, 0.6, 1.4, 1) * pixel
    width = np.maximum(uniform(rng, k, 0.6, 1.2, 1) * np.sqrt(grow), 0.5)
    width = width * (1.0 - 0.6 * np.clip(np.abs(along) / half_length, 0.0, 1.0))
    distance = _line(along, across, half_length) / pixel
    alpha = np.clip(width + 0.5 - distance, 0.0, 1.0)
    return alpha, -alpha * 1.4


def spot(rng: Any, x: Array, y: Array, size: int, grow: Array) -> tuple[Array, Array]:
    """A stain: an irregular soft-edged blob, darker or lighter, with a faint darker rim."""
    k = len(grow)
    pixel = 2 / size
    cx, cy = _centre(rng, k)
    along, across = rotate(x, y, uniform(rng, k, 0, np.pi, 1), cx, cy)
    across = across * uniform(rng, k, 1.0, 1.8, 1)  # elongated
    radius = uniform(rng, k, 2.5, 6.0, 1) * grow * pixel
    theta = np.arctan2(across, along)
    wobble = 1 + 0.15 * np.sin(3 * theta + uniform(rng, k, 0, 6.3, 1)) + 0.08 * np.sin(5 * theta + uniform(rng, k, 0, 6.3, 1))
    distance = (np.sqrt(along * along + across * across) - radius * wobble) / pixel
    alpha = np.clip(0.5 - distance / 1.5, 0.0, 1.0)
    rim = np.clip(1 - np.abs(distance + 1.0) / 1.2, 0.0, 1.0) * 0.4
    sign = np.where(rng.random((k, 1)) < 0.75, -1.0, 1.0).astype(np.float32)
    return alpha, (alpha + rim * alpha) * sign


def dent(rng: Any, x: Array, y: Array, size: int, grow: Array) -> tuple[Array, Array]:
    """A dent (a shallow bowl lit from one side) or a hole (dark pit with a bright lip), half each."""
    k = len(grow)
    pixel = 2 / size
    cx, cy = _centre(rng, k)
    along, _ = rotate(x, y, uniform(rng, k, 0, 2 * np.pi, 1), cx, cy)
    dx, dy = x - cx, y - cy
    hole = rng.random((k, 1)) < 0.5
    radius = np.where(hole, uniform(rng, k, 1.5, 3.0, 1), uniform(rng, k, 3.0, 6.5, 1)) * grow * pixel
    rho = np.sqrt(dx * dx + dy * dy) / radius
    inside = np.clip((1 - rho) * radius / pixel + 0.5, 0.0, 1.0)  # anti-aliased disc
    # Dent: the slope of a bowl lit along ``along``: bright on one side, dark on the other.
    bowl = np.clip(1 - rho * rho, 0.0, 1.0)
    slope = (along / radius) * bowl * 2.2
    lip = np.clip(1 - np.abs(rho - 1) * radius / pixel, 0.0, 1.0) * 0.5
    effect = np.where(hole, -1.5 * inside + lip, slope * inside)
    alpha = np.where(hole, np.maximum(inside, lip), inside * 0.999)
    return alpha, effect


def contamination(rng: Any, x: Array, y: Array, size: int, grow: Array) -> tuple[Array, Array]:
    """A cluster of small particles (dust, swarf, paint flecks) around a point."""
    k = len(grow)
    pixel = 2 / size
    cx, cy = _centre(rng, k)
    spread = uniform(rng, k, 2.0, 6.0, 1) * grow * pixel
    alpha = np.zeros((k, x.shape[1]), dtype=np.float32)
    for index in range(6):
        present = (rng.random((k, 1)) < 0.7) | (index < 2)
        px = cx + uniform(rng, k, -1, 1, 1) * spread
        py = cy + uniform(rng, k, -1, 1, 1) * spread
        r = uniform(rng, k, 0.6, 1.6, 1) * np.sqrt(grow)
        dx, dy = x - px, y - py
        speck = np.clip(r + 0.5 - np.sqrt(dx * dx + dy * dy) / pixel, 0.0, 1.0) * present
        np.maximum(alpha, speck, out=alpha)
    sign = np.where(rng.random((k, 1)) < 0.7, -1.0, 1.0).astype(np.float32)
    return alpha, alpha * sign * 1.2


DEFECT_FUNCTIONS = {"scratch": scratch, "crack": crack, "spot": spot, "dent": dent, "contamination": contamination}
