"""Vectorised tampering for the documents plugin: one forgery per forged image.

``tamper`` edits a batch of scanned documents (float32 (k, 3, H * W), noise
included) inside one rectangle per image and returns the edited copy and
the rectangles as masks. The four kinds, as in document-forensics datasets:

- copy-move: a patch of the same page pasted elsewhere (duplicated content,
  text rows that no longer line up, a slight exposure change);
- splice: a signature from another document pasted in, with its own ink
  colour, stroke width, paper tint and scan noise;
- erase: a region wiped to blank paper (smoother, less noisy, slightly
  blurred) and rewritten with other glyphs in a slightly different ink;
- resample: a region rescaled with bilinear interpolation, which smooths
  the scan noise and changes the glyph size.

Pixels outside a rectangle are never touched, so the mask covers every
changed pixel. This module is private to plugins/documents.py and imports
only NumPy (and the drawing helpers it is handed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray
TAMPERS = ("copy_move", "splice", "erase", "resample")


def rectangles(rng: np.random.Generator, kinds: Array, size: int, settings: dict[str, Any]) -> Array:
    """(k, 4) int64 x0, y0, w, h: a region per image (wide and low for a spliced signature)."""
    k = len(kinds)
    low, high = settings["region"]
    w = rng.uniform(low, high, k) * size
    h = rng.uniform(low, high, k) * size
    splice = kinds == TAMPERS.index("splice")
    w = np.where(splice, w * 1.5, w)
    h = np.where(splice, w * 0.5, h)
    w = np.clip(np.round(w), 3, size * 0.7).astype(np.int64)
    h = np.clip(np.round(h), 3, size * 0.7).astype(np.int64)
    x0 = np.floor(rng.uniform(0, 1, k) * (size - w + 1)).astype(np.int64)
    y0 = np.floor(rng.uniform(0, 1, k) * (size - h + 1)).astype(np.int64)
    return np.stack([x0, y0, w, h], axis=1)


def tamper(draw: Any, rng: np.random.Generator, scene: dict[str, Any], kinds: Array, size: int,
           settings: dict[str, Any]) -> tuple[Array, Array]:
    """Forge each image of ``scene`` with its kind; returns (images (k, 3, HW), masks (k, HW) bool).

    ``scene`` holds the batch's layers: "scan" (the noisy image), "clean"
    (before noise), "paper", "noise" (k, 1, HW) unit noise, "sigma" (k, 1, 1)
    noise level, "layout" and "keys" of the text, "text_ink" and
    "signature_ink" colours (k, 3).
    """
    X, Y = draw.grid(size)
    rect = rectangles(rng, kinds, size, settings)
    x0, y0, w, h = (rect[:, i:i + 1] for i in range(4))
    inside = (X >= x0) & (X < x0 + w) & (Y >= y0) & (Y < y0 + h)  # (k, HW)
    forged = scene["scan"].copy()  # only the forged images are handed in
    for index, kind in enumerate(TAMPERS):
        chosen = np.flatnonzero(kinds == index)
        if chosen.size:
            part = {name: value[chosen] if isinstance(value, np.ndarray) else value for name, value in scene.items()}
            part["layout"] = {name: value[chosen] for name, value in scene["layout"].items()}
            edited = _KINDS[kind](draw, rng, part, rect[chosen], size, settings, X, Y)
            forged[chosen] = np.where(inside[chosen, None], edited, forged[chosen])
    return forged, inside


def _copy_move(draw: Any, rng: np.random.Generator, scene: dict[str, Any], rect: Array, size: int,
               settings: dict[str, Any], X: Array, Y: Array) -> Array:
    """The scan shifted so that another patch of the page lands in the rectangle."""
    k = len(rect)
    x0, y0, w, h = rect.T
    sx0 = np.floor(rng.uniform(0, 1, k) * (size - w + 1)).astype(np.int64)
    sy0 = np.floor(rng.uniform(0, 1, k) * (size - h + 1)).astype(np.int64)
    # Too small a shift would copy a patch onto itself: move the source by half the patch instead.
    near = np.abs(sx0 - x0) + np.abs(sy0 - y0) < np.maximum(2, np.minimum(w, h) // 3)
    up = y0 - h // 2 - 1
    sy0 = np.where(near, np.where(up >= 0, up, y0 + h // 2 + 1), sy0)
    moved = shift(scene["scan"], x0 - sx0, y0 - sy0, size)
    gain = 1 + rng.choice([-1, 1], (k, 1, 1)) * rng.uniform(0.5, 1.0, (k, 1, 1)) * settings["exposure"]
    return moved * gain.astype(np.float32)


def _resample(draw: Any, rng: np.random.Generator, scene: dict[str, Any], rect: Array, size: int,
              settings: dict[str, Any], X: Array, Y: Array) -> Array:
    """The rectangle's content zoomed in or out about its centre, bilinearly."""
    k = len(rect)
    x0, y0, w, h = (rect[:, i:i + 1] for i in range(4))
    scale = rng.uniform(*settings["rescale"], (k, 1)).astype(np.float32)
    scale = np.where(rng.uniform(0, 1, (k, 1)) < 0.7, scale, 1 / scale)  # mostly enlarged
    # Only a window as large as the largest rectangle is resampled (positions
    # clipped at the border repeat a pixel and its own value).
    xs = np.minimum(x0 + np.arange(int(w.max()))[None], size - 1)  # (k, W)
    ys = np.minimum(y0 + np.arange(int(h.max()))[None], size - 1)  # (k, H)
    wx = np.broadcast_to(xs[:, None, :], (k, ys.shape[1], xs.shape[1])).reshape(k, -1) + np.float32(0.5)
    wy = np.broadcast_to(ys[:, :, None], (k, ys.shape[1], xs.shape[1])).reshape(k, -1) + np.float32(0.5)
    cx, cy = x0 + w / 2, y0 + h / 2
    sampled = sample(scene["scan"], cx + (wx - cx) / scale, cy + (wy - cy) / scale, size)
    out = scene["scan"].copy()
    index = (wy.astype(np.int64) * size + wx.astype(np.int64))[:, None]  # (k, 1, H * W window)
    np.put_along_axis(out, np.broadcast_to(index, sampled.shape), sampled, axis=2)
    return out


def _erase(draw: Any, rng: np.random.Generator, scene: dict[str, Any], rect: Array, size: int,
           settings: dict[str, Any], X: Array, Y: Array) -> Array:
    """Blank paper, smoothed and less noisy, with other glyphs in a slightly other ink."""
    k = len(rect)
    keys = rng.integers(0, 2**32, (k, 1), dtype=np.uint32)
    layout = dict(scene["layout"])
    layout["weight"] = layout["weight"] * rng.uniform(0.85, 1.15, (k, 1)).astype(np.float32)
    layout["rule"] = np.zeros_like(layout["rule"])  # the rewrite goes over blank paper
    layout["gap"] = np.full_like(layout["gap"], 0.15)
    layout["fill"] = np.ones_like(layout["rule"])  # written to the edge, no empty lines
    ink, _ = draw.text_coverage(size, layout, keys)
    colour = shifted(rng, scene["text_ink"], settings["ink_shift"])
    tint = 1 + rng.uniform(0.5, 1, (k, 1, 1)).astype(np.float32) * settings["paper_shift"]  # white-out
    page = scene["paper"] * tint
    page = page * (1 - ink[:, None]) + colour[:, :, None] * ink[:, None]
    smooth = draw.box_blur(page.reshape(k, 3, size, size)).reshape(k, 3, size * size)
    page += (smooth - page) * settings["erase_blur"]
    return page + scene["noise"] * scene["sigma"] * settings["erase_noise"]


def _splice(draw: Any, rng: np.random.Generator, scene: dict[str, Any], rect: Array, size: int,
            settings: dict[str, Any], X: Array, Y: Array) -> Array:
    """A signature from another document: other ink, stroke width, paper tint and noise."""
    k = len(rect)
    x0, y0, w, h = (rect[:, i].astype(np.float32) for i in range(4))
    low, high = settings["splice_width"]
    width = rng.uniform(low, high, k)
    width = np.where(rng.uniform(0, 1, k) < 0.5, width, 1 / width).astype(np.float32)
    ink = draw.signature_coverage(rng, k, size, (x0 + w / 2, y0 + h / 2), w * 0.8, width)
    colour = shifted(rng, scene["signature_ink"], settings["ink_shift"])
    tint = 1 + rng.uniform(-1, 1, (k, 1, 1)).astype(np.float32) * settings["paper_shift"]
    page = scene["clean"] * tint
    page = page * (1 - ink[:, None]) + colour[:, :, None] * ink[:, None]
    noise = draw.unit_noise(rng, (k, 1, size * size))
    level = rng.uniform(*settings["splice_noise"], (k, 1, 1)).astype(np.float32)
    level = np.where(rng.uniform(0, 1, (k, 1, 1)) < 0.5, level, 1 / level)
    return page + noise * scene["sigma"] * level


def shifted(rng: np.random.Generator, colour: Array, amount: float) -> Array:
    """(k, 3) colours moved by ``amount`` in a random direction (kept dark enough to read as ink)."""
    direction = rng.standard_normal(colour.shape).astype(np.float32)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True) + 1e-6
    return np.clip(colour + direction * amount, 0.0, 0.75)


def sample(images: Array, x: Array, y: Array, size: int) -> Array:
    """Bilinear samples (k, 3, n) of (k, 3, HW) images at pixel coordinates (k, n) (edges clamped)."""
    k, hw, n = images.shape[0], images.shape[2], x.shape[1]
    fx = np.clip(x - 0.5, 0, size - 1)
    fy = np.clip(y - 0.5, 0, size - 1)
    ix = np.minimum(np.floor(fx).astype(np.int64), size - 2)
    iy = np.minimum(np.floor(fy).astype(np.int64), size - 2)
    ax, ay = (fx - ix)[:, None], (fy - iy)[:, None]
    flat = images.reshape(k * 3, hw)
    base = np.repeat(iy * size + ix + np.arange(k)[:, None] * (3 * hw), 3, axis=0)  # (k * 3, n)
    base += np.tile(np.arange(3) * hw, k)[:, None]
    pixels = flat.reshape(-1)
    corner = lambda offset: pixels[base + offset].reshape(k, 3, n)  # noqa: E731
    top = corner(0) * (1 - ax) + corner(1) * ax
    bottom = corner(size) * (1 - ax) + corner(size + 1) * ax
    return (top * (1 - ay) + bottom * ay).astype(np.float32)


def shift(images: Array, dx: Array, dy: Array, size: int) -> Array:
    """(k, 3, HW) images moved by whole pixels (k,) dx, dy: out[p] = in[p - d], edges clamped."""
    k, hw = images.shape[0], images.shape[2]
    axis = np.arange(size)
    xs = np.clip(axis[None] - dx[:, None], 0, size - 1)  # (k, S)
    ys = np.clip(axis[None] - dy[:, None], 0, size - 1)
    index = (ys[:, :, None] * size + xs[:, None, :]).reshape(k, hw) + np.arange(k)[:, None] * hw
    return images.transpose(0, 2, 1).reshape(k * hw, 3)[index].transpose(0, 2, 1)


_KINDS = {"copy_move": _copy_move, "splice": _splice, "erase": _erase, "resample": _resample}
