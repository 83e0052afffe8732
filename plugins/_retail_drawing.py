"""Vectorised drawing for the retail plugin: product silhouettes as signed distances.

Every function works on a whole batch at once, pixel by pixel. Coordinates
``u, v`` are float32 arrays of shape (n, H * W) (flattened: NumPy broadcasts
a per-image (n, 1) parameter over a 2-D array several times faster than over
(n, H, W)) in the product's own frame: the product fits roughly in [-1, 1],
``u`` points to the right and ``v`` points up.
A signed distance is negative inside a shape and positive outside; ``cover``
turns it into an anti-aliased coverage in [0, 1].

This module is private to plugins/retail.py (a leading underscore keeps the
plugin manager from loading it as a plugin) and imports only NumPy.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def positive(x: Array) -> Array:
    """max(x, 0). np.clip with float bounds is several times faster than np.maximum(x, 0)."""
    return np.clip(x, 0.0, np.inf)


def box(u: Array, v: Array, cx: float, cy: float, hw: float, hh: float, r: float = 0.0) -> Array:
    """Rounded box centred at (cx, cy) with half sizes (hw, hh) and corner radius r."""
    qx = np.abs(u - cx) - (hw - r)
    qy = np.abs(v - cy) - (hh - r)
    ox, oy = positive(qx), positive(qy)
    outside = np.sqrt(ox * ox + oy * oy)  # np.hypot is ~10x slower than this
    return outside + np.clip(np.maximum(qx, qy), -np.inf, 0.0) - r


def rect(u: Array, v: Array, cx: float, cy: float, hw: float, hh: float) -> Array:
    """Sharp-cornered box (Chebyshev distance: exact inside, cheap, fine for small parts)."""
    return np.maximum(np.abs(u - cx) - hw, np.abs(v - cy) - hh)


def ellipse(u: Array, v: Array, cx: float, cy: float, a: float, b: float) -> Array:
    """Approximate distance to an axis-aligned ellipse (good enough for coverage)."""
    k = np.sqrt(((u - cx) / a) ** 2 + ((v - cy) / b) ** 2)
    return (k - 1) * np.minimum(a, b).astype(k.dtype)  # keep float32 when a, b are floats


def circle(u: Array, v: Array, cx: float, cy: float, r: float) -> Array:
    du, dv = u - cx, v - cy
    return np.sqrt(du * du + dv * dv) - r


def trapezoid(u: Array, v: Array, cy: float, hw_bottom: float, hw_top: float, hh: float) -> Array:
    """Symmetric trapezoid centred on u=0: wider at the bottom (like a tote bag)."""
    t = np.clip((v - (cy - hh)) / (2 * hh), 0.0, 1.0)
    half_width = hw_bottom + (hw_top - hw_bottom) * t
    side = (np.abs(u) - half_width) / np.sqrt(1 + ((hw_bottom - hw_top) / (2 * hh)) ** 2)
    return np.maximum(side, np.abs(v - cy) - hh)


def smooth_union(a: Array, b: Array, k: float = 0.08) -> Array:
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b + (a - b) * h - k * h * (1 - h)


def cover(distance: Array, pixel: Array) -> Array:
    """Anti-aliased coverage: 1 inside, 0 outside, a one-pixel ramp on the edge."""
    return np.clip(0.5 - distance / pixel, 0.0, 1.0)


# --- products ---------------------------------------------------------------
# Each takes u, v (k, H * W) and per-image shape parameters p (8, k, 1) in
# [0, 1] (sizes and proportions), and returns its parts back to front as
# (distance, role). Roles pick colours:
# "main" is the textured product colour, "trim" a second colour (sole, cap,
# strap), "dark" a near-black detail, "metal" gold or silver, "dial" a pale watch face.


def shoe(u: Array, v: Array, p: Array) -> list[tuple[Array, str]]:
    """A side-view shoe, toe to the right: sole, upper rising to an ankle collar, heel."""
    toe = 0.24 + 0.1 * p[1]  # toe-box height
    collar = toe + 0.2 + 0.35 * p[0]  # ankle height: sneaker .. boot
    sole_h = 0.07 + 0.05 * p[2]
    heel_lift = np.where(p[3] > 0.75, 0.18, 0.0).astype(u.dtype)  # some have a block heel
    sole_top = -0.42 + sole_h + heel_lift * np.clip(-u - 0.2, 0.0, 0.5) * 2
    # The upper as a height field above the sole: flat ankle collar at the back,
    # an instep sloping down to a rounded toe box at the front.
    toe_box = toe * np.sqrt(positive(1 - ((u - 0.3) / 0.6) ** 2))
    rise = np.clip((0.25 - u) / 0.6, 0.0, 1.0)
    rise = rise * rise  # a concave curve from the toe up to the collar
    height = np.maximum(toe_box, toe + (collar - toe) * rise)
    back = -0.8 - u + 0.12 * positive(v - sole_top)  # heel counter leans back a little
    upper = np.maximum(np.maximum(sole_top - 0.02 - v, v - (sole_top + height)), np.maximum(back, u - 0.88)) - 0.02
    sole_thin = rect(u, v, 0.08, -0.42 + sole_h / 2, 0.86, sole_h / 2)
    block = rect(u, v, -0.62, -0.42 + (sole_h + heel_lift) / 2, 0.2, (sole_h + heel_lift) / 2)
    sole = np.minimum(sole_thin, block)
    sole_top = -0.42 + sole_h
    # A contrasting side stripe across the upper (the brand swoosh of a sneaker).
    stripe = np.maximum(np.abs(v - (sole_top + 0.12) - 0.25 * (u + 0.2)) - 0.04, upper + 0.04)
    stripe = np.where(p[4] > 0.4, stripe, 1.0)
    # Laces: dashes in a band just inside the top edge of the upper, mid-foot.
    band = np.maximum(np.abs(upper + 0.08) - 0.045, np.abs(u + 0.05) - 0.25)
    laces = np.maximum(np.abs(np.sin(u * 30)) - 0.5, band)
    laces = np.where(p[0] < 0.6, laces, 1.0)
    return [(sole, "trim"), (upper, "main"), (stripe, "trim"), (laces, "dark")]


def handbag(u: Array, v: Array, p: Array) -> list[tuple[Array, str]]:
    """A handbag from the front: trapezoid body, a handle arc on top, flap and clasp."""
    hw_bottom = 0.6 + 0.2 * p[0]
    hw_top = hw_bottom * (0.6 + 0.35 * p[1])
    hh = 0.32 + 0.12 * p[2]
    cy = -0.3 + 0.05 * p[3]
    top = cy + hh
    body = trapezoid(u, v, cy, hw_bottom, hw_top, hh)
    body = body - 0.04  # rounds the corners a little
    ring_r = hw_top * (0.55 + 0.3 * p[4])
    ring_h = ring_r * (0.9 + 0.5 * p[5])
    ring = np.abs(np.sqrt((u / ring_r) ** 2 + ((v - top) / ring_h) ** 2) - 1) * ring_r - 0.055
    handle = np.maximum(ring, top - 0.02 - v)
    flap = np.maximum(body, (top - 0.3 * hh * (1 + p[1])) - v - 0.2 * np.abs(u))
    clasp = rect(u, v, 0.0, top - 0.3 * hh * (1 + p[1]) - 0.05, 0.08, 0.06)
    seam = np.maximum(np.abs(flap) - 0.025, body + 0.02)
    return [(handle, "trim"), (body, "main"), (seam, "dark"), (clasp, "metal")]


def tshirt(u: Array, v: Array, p: Array) -> list[tuple[Array, str]]:
    """A flat-laid t-shirt: torso, two angled sleeves and a round neck."""
    width = 0.42 + 0.1 * p[0]
    torso = box(u, v, 0.0, -0.15, width, 0.62, 0.04)
    sleeve_angle = 0.5 + 0.3 * p[1]
    c, s = np.cos(sleeve_angle), np.sin(sleeve_angle)
    sleeves = 1.0
    for side in (-1, 1):
        du, dv = side * u - (width + 0.12), v - 0.3
        su, sv = du * c + dv * s, -du * s + dv * c
        sleeves = np.minimum(sleeves, box(su, sv, 0.0, 0.0, 0.22, 0.17, 0.03))
    shirt = np.minimum(torso, sleeves)
    neck = ellipse(u, v, 0.0, 0.48, 0.2 + 0.05 * p[2], 0.14)
    shirt = np.maximum(shirt, -neck)
    collar = np.maximum(np.abs(neck) - 0.035, shirt - 0.05)
    return [(shirt, "main"), (collar, "trim")]


def bottle(u: Array, v: Array, p: Array) -> list[tuple[Array, str]]:
    """An upright bottle: body, rounded shoulders, neck, cap and a label band."""
    hw = 0.25 + 0.1 * p[0]
    body = box(u, v, 0.0, -0.35, hw, 0.55, 0.08)
    shoulder = ellipse(u, v, 0.0, 0.2, hw, 0.25 + 0.1 * p[1])
    neck = box(u, v, 0.0, 0.5, 0.1, 0.22, 0.03)
    glass = smooth_union(smooth_union(body, shoulder, 0.05), neck, 0.1)
    cap = rect(u, v, 0.0, 0.76, 0.12, 0.09)
    label = np.maximum(glass + 0.01, np.abs(v + 0.35 + 0.1 * p[2]) - 0.2)
    return [(glass, "main"), (label, "trim"), (cap, "dark")]


def watch(u: Array, v: Array, p: Array) -> list[tuple[Array, str]]:
    """A wristwatch from the front: strap top and bottom, round case, dial, hands."""
    r = 0.36 + 0.08 * p[0]
    strap = box(u, v, 0.0, 0.0, 0.2 + 0.05 * p[1], 0.95, 0.05)
    case = circle(u, v, 0.0, 0.0, r)
    dial = circle(u, v, 0.0, 0.0, r - 0.08)
    angle = 6.283 * p[2]
    hand_u, hand_v = np.cos(angle), np.sin(angle)
    along = u * hand_u + v * hand_v
    across = np.abs(-u * hand_v + v * hand_u)
    hour = np.maximum(np.maximum(across - 0.03, -along), along - 0.6 * r)
    minute = np.maximum(np.maximum(np.abs(u) - 0.025, -v), v - 0.8 * r)
    hands = np.minimum(hour, minute)
    return [(strap, "main"), (case, "metal"), (dial, "dial"), (hands, "dark")]


PRODUCTS = {"shoe": shoe, "handbag": handbag, "t-shirt": tshirt, "bottle": bottle, "watch": watch}


TEXTURES = ("plain", "gradient", "stripes", "dots", "leather")


def texture(u: Array, v: Array, kind: str, t: Array) -> Array:
    """A brightness change on the product, about amplitude * [-1, 1].

    ``t`` holds per-image parameters (7, k, 1): two waves' x and y
    frequencies and phases, then the amplitude (the slope for a gradient).
    Stripes are one sharpened wave; dots and checks the product of two
    crossed waves; leather-like mottling two irregular waves, softly.
    """
    a1, b1, p1, a2, b2, p2, amplitude = t
    if kind == "plain":
        return np.zeros_like(u)
    if kind == "gradient":
        return v * amplitude
    wave = np.sin(u * a1 + v * b1 + p1)
    if kind == "stripes":
        wave *= 3.0
    else:
        wave *= np.sin(u * a2 + v * b2 + p2)
        wave *= 4.0 if kind == "dots" else 1.5
        wave -= 0.2
    pattern = np.clip(wave, -1.0, 1.0)
    pattern *= amplitude
    return pattern


# --- coordinates, resampling, colour -------------------------------------


def grid(size: int, transposed: bool = False) -> tuple[Array, Array]:
    """Pixel-centre coordinates in [-1, 1], flattened to (1, H * W): x to the right, y up.

    ``transposed`` flattens column by column instead of row by row.
    """
    axis = ((np.arange(size) + 0.5) / size * 2 - 1).astype(np.float32)
    if transposed:
        return np.repeat(axis, size)[None], -np.tile(axis, size)[None]
    return np.tile(axis, size)[None], -np.repeat(axis, size)[None]


def frame_coefficients(pose: tuple[Array, ...]) -> tuple[Array, Array]:
    """(n, 3) coefficients of u and v, the product's frame, as a * x + b * y + c.

    Undoes the shift, turn, scale and flip of ``pose``.
    """
    tx, ty, cos_s, sin_s, flip = pose
    cf, sf = cos_s * flip, sin_s * flip
    to_u = np.stack([cf, sf, -(cf * tx + sf * ty)], axis=1)
    to_v = np.stack([-sin_s, cos_s, sin_s * tx - cos_s * ty], axis=1)
    return to_u.astype(np.float32), to_v.astype(np.float32)


def linear_map(coefficients: Array, x: Array, y: Array) -> Array:
    """a * x + b * y + c for each row of (k, 3) ``coefficients``: (k, H * W), one matmul."""
    basis = np.concatenate([x, y, np.ones_like(x)])  # (3, H * W)
    return coefficients @ basis


def upsample(columns: Array, size: int) -> Array:
    """Bilinear resize of (m, w, h) column-major images to row-major (m, size, size).

    Two plain matrix products: taking the input transposed lets the first
    product resize the columns and a small transpose set up the second.
    """
    m, low = columns.shape[0], columns.shape[-1]
    if low == size:
        return np.ascontiguousarray(columns.swapaxes(1, 2))
    source = np.clip((np.arange(size) + 0.5) * low / size - 0.5, 0, low - 1)
    left = np.minimum(np.floor(source).astype(int), low - 2)
    weights = np.zeros((size, low), dtype=np.float32)
    weights[np.arange(size), left] = 1 - (source - left)
    weights[np.arange(size), left + 1] = source - left
    tall = (columns.reshape(m * low, low) @ weights.T).reshape(m, low, size)  # (m, w, H)
    rows = np.ascontiguousarray(tall.swapaxes(1, 2)).reshape(m * size, low)  # (m * H, w)
    return (rows @ weights.T).reshape(m, size, size)


def hsv_to_rgb(h: Array, s: Array, v: Array) -> Array:
    """Vectorised HSV -> RGB for (n,) arrays; returns (n, 3) float32."""
    k = (np.array([5.0, 3.0, 1.0], dtype=np.float32)[None, :] + h[:, None] * 6) % 6
    return (v[:, None] - v[:, None] * s[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)).astype(np.float32)
