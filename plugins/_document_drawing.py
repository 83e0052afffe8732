"""Vectorised drawing for the documents plugin: paper, text, signatures, stamps.

Every function works on a batch of k images at once. Images are float32
arrays of shape (k, 3, H * W) in [0, 1] (flattened, like the retail
drawing); per-image parameters are (k, 1) arrays that broadcast over the
pixels. Pixel coordinates ``X, Y`` are (1, H * W) pixel centres, x to the
right and y down, in pixels.

Text is drawn from a small glyph atlas (signed distances of a made-up
"font" of stroke shapes) looked up per pixel, so a page of text costs a few
array operations whatever the number of glyphs. Signatures are random
smooth curves splatted onto the grid and blurred into strokes.

This module is private to plugins/documents.py (a leading underscore keeps
the plugin manager from loading it as a plugin) and imports only NumPy.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

# Glyph atlas: GLYPHS shapes sampled on an ATLAS_H x ATLAS_W grid over the
# glyph cell u in [0, 1) (width), v in [0, CELL_V) (cap height is 1, the rest
# is room for descenders). Distances are in cell widths.
GLYPHS = 48
ATLAS_W, ATLAS_H, CELL_V = 16, 20, 1.25
GLYPH_ASPECT = 1.6  # cap height / glyph width, for distances in the atlas
FAR = np.float32(9.0)  # "no ink anywhere near"


def grid(size: int) -> tuple[Array, Array]:
    """Pixel-centre coordinates (1, H * W) each, row by row: x to the right, y down."""
    axis = np.arange(size, dtype=np.float32) + 0.5
    return np.tile(axis, size)[None], np.repeat(axis, size)[None]


def uniform(rng: np.random.Generator, k: int, low: float, high: float, *shape: int) -> Array:
    """(k, *shape) float32 uniform draws."""
    return rng.uniform(low, high, (k, *shape)).astype(np.float32)


def hash_ints(*values: Array) -> Array:
    """A well-mixed uint32 hash of integer arrays (broadcast together)."""
    h = np.uint32(2166136261)
    for value in values:
        h = (h ^ value.astype(np.uint32)) * np.uint32(16777619)
        h = h ^ (h >> np.uint32(15))
        h = h * np.uint32(2246822519)
        h = h ^ (h >> np.uint32(13))
    return h


def _segment(u: Array, v: Array, a: tuple[float, float], b: tuple[float, float]) -> Array:
    """Distance to the segment a-b, with v stretched by GLYPH_ASPECT."""
    ax, ay, bx, by = a[0], a[1] * GLYPH_ASPECT, b[0], b[1] * GLYPH_ASPECT
    px, py = u - ax, v * GLYPH_ASPECT - ay
    dx, dy = bx - ax, by - ay
    t = np.clip((px * dx + py * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return np.sqrt((px - t * dx) ** 2 + (py - t * dy) ** 2)


def _arc(u: Array, v: Array, cu: float, cv: float, r: float, lo: float, hi: float) -> Array:
    """Distance to a circular arc (angles lo..hi in radians) in the stretched space."""
    du, dv = u - cu, (v - cv) * GLYPH_ASPECT
    angle = np.arctan2(dv, du)
    inside = ((angle - lo) % (2 * np.pi)) <= ((hi - lo) % (2 * np.pi) or 2 * np.pi)
    ring = np.abs(np.sqrt(du * du + dv * dv) - r)
    ends = [(cu + r * np.cos(t), cv + r * np.sin(t) / GLYPH_ASPECT) for t in (lo, hi)]
    cap = np.minimum(*[np.sqrt((u - eu) ** 2 + ((v - ev) * GLYPH_ASPECT) ** 2) for eu, ev in ends])
    return np.where(inside, ring, cap)


def glyph_atlas() -> Array:
    """(GLYPHS + 1, ATLAS_H * ATLAS_W) float32 distances: a fixed, made-up alphabet and a blank.

    Each glyph joins two or three strokes (stems, bars, diagonals, bowls and
    hooks) chosen by a fixed seed, so every document shares one "font".
    """
    u = (np.arange(ATLAS_W, dtype=np.float32) + 0.5) / ATLAS_W
    v = (np.arange(ATLAS_H, dtype=np.float32) + 0.5) / ATLAS_H * CELL_V
    u, v = np.meshgrid(u, v)
    lo, x, hi = 0.18, 0.5, 0.82
    strokes = [
        _segment(u, v, (lo, 0.35), (lo, 1.0)), _segment(u, v, (hi, 0.35), (hi, 1.0)),
        _segment(u, v, (lo, 0.0), (lo, 1.0)), _segment(u, v, (hi, 0.35), (hi, 1.25)),
        _segment(u, v, (x, 0.1), (x, 1.0)), _segment(u, v, (lo, 0.35), (hi, 0.35)),
        _segment(u, v, (lo, 0.68), (hi, 0.68)), _segment(u, v, (lo, 1.0), (hi, 1.0)),
        _segment(u, v, (lo, 1.0), (hi, 0.35)), _segment(u, v, (lo, 0.35), (hi, 1.0)),
        _arc(u, v, x, 0.68, 0.32 * GLYPH_ASPECT * 0.6, 0, 2 * np.pi),
        _arc(u, v, x, 0.68, 0.32 * GLYPH_ASPECT * 0.6, np.pi * 0.5, np.pi * 1.5),
        _arc(u, v, x, 0.68, 0.32 * GLYPH_ASPECT * 0.6, -np.pi * 0.5, np.pi * 0.5),
        _arc(u, v, x, 0.45, 0.28, np.pi, 2 * np.pi),
    ]
    rng = np.random.default_rng(20240611)
    atlas = np.full((GLYPHS + 1, ATLAS_H * ATLAS_W), FAR, dtype=np.float32)  # the last one is blank
    for index in range(GLYPHS):
        chosen = rng.choice(len(strokes), size=2 + index % 2, replace=False)
        atlas[index] = np.min([strokes[c] for c in chosen], axis=0).ravel()
    return atlas


_ATLAS: Array | None = None


def atlas() -> Array:
    """The glyph atlas, built once."""
    global _ATLAS
    if _ATLAS is None:
        _ATLAS = glyph_atlas()
    return _ATLAS


def text_coverage(size: int, layout: dict[str, Array], keys: Array) -> tuple[Array, Array]:
    """Ink coverage (k, H * W) of lines of glyphs, and the rule-line coverage.

    ``layout`` holds (k, 1) arrays: y0 (first line top), pitch (line
    spacing), height (cap height), width (glyph width), left (text start),
    weight (stroke half-width in cell widths), gap (share of blank glyphs,
    i.e. word gaps), rule (1 where the page has ruled lines), optionally
    fill (1: every line runs to the edge). ``keys``
    (k, 1) uint32 picks which glyphs appear: another key, another text.
    Lines and columns are separable, so the glyph of each (line, column)
    is picked once in a small table and looked up per pixel.
    """
    k = len(keys)
    y0, pitch, height, width = layout["y0"], layout["pitch"], layout["height"], layout["width"]
    left, advance = layout["left"], width * 1.2
    centres = np.arange(size, dtype=np.float32)[None] + 0.5  # (1, S)
    line = np.floor((centres - y0) / pitch).astype(np.int64)  # (k, S) per row
    v = (centres - y0 - line * pitch) / height
    column = np.floor((centres - left) / advance).astype(np.int64)  # (k, S) per column
    u = (centres - left - column * advance) / width
    line -= line[:, :1]
    column = np.clip(column, -1, None)
    lines, columns = int(line.max()) + 1, int(column.max()) + 2
    # The glyph table (k, lines + 1, columns + 1): the extra line and column are blank.
    line_ids = np.arange(lines)[None, :, None]
    column_ids = np.arange(-1, columns - 1)[None, None, :]
    line_hash = hash_ints(keys[:, :, None], line_ids + 1000)  # (k, lines, 1)
    glyph_hash = hash_ints(keys[:, :, None], line_ids + 1000, column_ids + 1000)
    line_end = left[:, :, None] + size * (0.35 + 0.9 * (line_hash % np.uint32(1000)) / np.float32(1000))
    blank = (glyph_hash >> np.uint32(8)) % np.uint32(1000) < layout["gap"][:, :, None] * 1000
    fill = layout.get("fill", np.zeros_like(left))[:, :, None] > 0
    blank |= ((line_hash >> np.uint32(12)) % np.uint32(7) == 0) & ~fill  # an empty line now and then
    blank |= (column_ids < 0) | ((left[:, :, None] + column_ids * advance[:, :, None] > line_end) & ~fill)
    table = np.full((k, lines + 1, columns + 1), GLYPHS, dtype=np.int64)
    table[:, :lines, :columns] = np.where(blank, GLYPHS, glyph_hash % np.uint32(GLYPHS))
    row = np.where(v < CELL_V, line, lines)  # (k, S)
    col = np.where(u < 1, column + 1, columns)
    iv = np.clip((v * (ATLAS_H / CELL_V)).astype(np.int64), 0, ATLAS_H - 1)
    iu = np.clip((u * ATLAS_W).astype(np.int64), 0, ATLAS_W - 1)
    offset = np.arange(k)[:, None] * table[0].size
    glyph = table.reshape(-1)[(offset + row * (columns + 1))[:, :, None] + col[:, None, :]]  # (k, S, S)
    distance = atlas().reshape(-1)[glyph * (ATLAS_H * ATLAS_W) + (iv * ATLAS_W)[:, :, None] + iu[:, None, :]]
    ink = np.clip(0.5 + (layout["weight"][:, :, None] - distance) * width[:, :, None], 0.0, 1.0)
    baseline = y0 + (np.floor((centres - y0) / pitch)) * pitch + height * 1.12
    rule = np.clip(0.9 - np.abs(centres - baseline), 0.0, 1.0) * layout["rule"]  # (k, S) per row
    rule = np.broadcast_to(rule[:, :, None], (k, size, size))
    return ink.reshape(k, size * size), rule.reshape(k, size * size)


def paper(rng: np.random.Generator, k: int, size: int, tint: Array) -> Array:
    """Paper (k, 3, H * W): a tint, soft blotches and a few faint fibres."""
    low = 5
    blotch = uniform(rng, k, -1, 1, low, low)
    blotch = upsample(blotch, size).reshape(k, 1, size * size) * uniform(rng, k, 0.005, 0.03, 1, 1)
    page = tint[:, :, None] * (1 + blotch)
    # Fibres: short, gently curved hairlines, splatted as points (cheap at any count).
    count, points = 3, max(16, size // 2)
    t = np.linspace(-0.5, 0.5, points, dtype=np.float32)[None, None]  # (1, 1, P)
    x0, y0 = uniform(rng, k, 0, size, count, 1), uniform(rng, k, 0, size, count, 1)
    angle = uniform(rng, k, 0, np.pi, count, 1)
    length = uniform(rng, k, 0.1, 0.4, count, 1) * size
    bend = uniform(rng, k, -0.15, 0.15, count, 1) * length
    along, across = t * length, bend * (4 * t * t - 1)
    x = x0 + along * np.cos(angle) - across * np.sin(angle)
    y = y0 + along * np.sin(angle) + across * np.cos(angle)
    strength = uniform(rng, k, 0.02, 0.08, count, 1) * length / points
    fibres = splat(x.reshape(k, -1), y.reshape(k, -1), np.broadcast_to(strength, x.shape).reshape(k, -1), size)
    fibres = np.clip(fibres.reshape(k, size * size), 0.0, 0.15)
    return page * (1 - fibres[:, None])


def upsample(small: Array, size: int) -> Array:
    """Bilinear resize of (k, low, low) to (k, size, size), as two matrix products."""
    low = small.shape[-1]
    source = np.clip((np.arange(size) + 0.5) * low / size - 0.5, 0, low - 1)
    left = np.minimum(np.floor(source).astype(int), low - 2)
    weights = np.zeros((size, low), dtype=np.float32)
    weights[np.arange(size), left] = 1 - (source - left)
    weights[np.arange(size), left + 1] = source - left
    return weights @ small @ weights.T


def signature_coverage(rng: np.random.Generator, k: int, size: int, centre: tuple[Array, Array],
                       length: Array, width: Array) -> Array:
    """Coverage (k, H * W) of handwritten-looking strokes along random smooth curves.

    ``centre`` (x, y) and ``length`` (k,) place each signature; ``width``
    (k,) scales its stroke width (about 1 = a pen line of 1-2 pixels at 64 px).
    """
    points = max(48, 4 * size)
    t = np.linspace(0.0, 1.0, points, dtype=np.float32)[None]  # (1, P)
    loops = uniform(rng, k, 3, 7, 1) * 2 * np.pi
    phase = uniform(rng, k, 0, 2 * np.pi, 4)
    scale = length[:, None]
    x = (t - 0.5) * scale + 0.08 * scale * np.sin(loops * t * 1.3 + phase[:, :1])
    x += 0.05 * scale * np.sin(loops * 2 * t + phase[:, 1:2])
    y = 0.22 * scale * np.sin(loops * t + phase[:, 2:3]) * (0.6 + 0.4 * np.sin(3 * t + phase[:, 3:]))
    slant = uniform(rng, k, -0.4, 0.1, 1)
    x, y = x + slant * y + centre[0][:, None], y + centre[1][:, None]
    pressure = 0.55 + 0.45 * np.sin(np.pi * t) * (0.7 + 0.3 * np.sin(loops * 0.5 * t + phase[:, :1]))
    pressure = pressure * width[:, None]
    density = splat(x, y, pressure, size)  # (k, H, W)
    passes = max(1, round(size / 80))
    for _ in range(passes):
        density = box_blur(density)
    gain = points / (1.6 * length[:, None, None]) ** 1.0
    ink = np.clip(density * (9.0 ** passes / 6.0) / gain, 0.0, 1.0)
    return ink.reshape(k, size * size)


def splat(x: Array, y: Array, weight: Array, size: int) -> Array:
    """Bilinear splat of (k, P) points with weights onto (k, size, size) grids."""
    k, points = x.shape
    fx, fy = x - 0.5, y - 0.5
    ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    ax, ay = fx - ix, fy - iy
    image = np.arange(k, dtype=np.int64)[:, None] * (size * size)
    flat, values = [], []
    for dx, dy, share in ((0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)), (0, 1, (1 - ax) * ay), (1, 1, ax * ay)):
        px, py = ix + dx, iy + dy
        inside = (px >= 0) & (px < size) & (py >= 0) & (py < size)
        flat.append(np.where(inside, image + py * size + px, 0).ravel())
        values.append(np.where(inside, share * weight, 0.0).ravel())
    total = np.bincount(np.concatenate(flat), np.concatenate(values), minlength=k * size * size)
    return total.astype(np.float32).reshape(k, size, size)


def box_blur(images: Array) -> Array:
    """3x3 box blur over the last two axes, edges replicated."""
    rows = images * np.float32(1 / 9)
    out = rows.copy()
    out[..., 1:, :] += rows[..., :-1, :]
    out[..., :-1, :] += rows[..., 1:, :]
    out[..., 0, :] += rows[..., 0, :]
    out[..., -1, :] += rows[..., -1, :]
    result = out.copy()
    result[..., 1:] += out[..., :-1]
    result[..., :-1] += out[..., 1:]
    result[..., 0] += out[..., 0]
    result[..., -1] += out[..., -1]
    return result


def unit_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> Array:
    """Zero-mean, unit-variance float32 noise (uniform: several times cheaper than normal)."""
    noise = rng.random(shape, dtype=np.float32)
    noise -= np.float32(0.5)
    noise *= np.float32(np.sqrt(12))
    return noise


def stamp_coverage(rng: np.random.Generator, k: int, size: int, X: Array, Y: Array) -> Array:
    """Coverage (k, H * W) of office stamps: a double ring or a framed box, with inner marks."""
    cx, cy = uniform(rng, k, 0.15, 0.85, 1) * size, uniform(rng, k, 0.15, 0.85, 1) * size
    radius = uniform(rng, k, 0.14, 0.24, 1) * size
    angle = uniform(rng, k, 0, np.pi, 1)
    round_ = rng.uniform(0, 1, k) < 0.6
    line = np.float32(max(0.6, size / 90))
    shape = np.empty((k, X.shape[1]), dtype=np.float32)
    ring, box_ = np.flatnonzero(round_), np.flatnonzero(~round_)
    if ring.size:
        dx, dy, rr, turn = X - cx[ring], Y - cy[ring], radius[ring], angle[ring]
        r = np.sqrt(dx * dx + dy * dy)
        theta = np.arctan2(dy, dx)
        d = np.minimum(np.abs(r - rr), np.abs(r - rr * 0.72))
        spokes = np.abs(np.sin(theta * 3 + turn)) * r  # a three-armed star inside
        d = np.minimum(d, np.where(r < rr * 0.5, spokes, FAR))
        # Letters between the rings: dashes around the circle.
        dashes = np.where(np.abs(np.sin(theta * 9 + turn)) < 0.5, np.abs(r - rr * 0.86), FAR)
        shape[ring] = np.minimum(d, dashes)
    if box_.size:
        dx, dy, rr = X - cx[box_], Y - cy[box_], radius[box_]
        half_w, half_h = rr * 1.2, rr * 0.6
        frame = np.abs(np.maximum(np.abs(dx) - half_w, np.abs(dy) - half_h))
        # Two rows of "letters" inside the frame.
        inner = np.maximum(np.abs(np.abs(dy) - half_h * 0.35), np.abs(dx) - half_w * 0.7)
        shape[box_] = np.minimum(frame, np.where(np.abs(np.sin(dx * 1.3)) < 0.7, inner, FAR))
    return np.clip(1.0 + line * 0.5 - shape, 0.0, 1.0)
