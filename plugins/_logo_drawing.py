"""Vectorised drawing for the logos plugin: emblems as signed distances.

Every function works on a whole batch at once. Pixel coordinates ``x, y``
are float32 arrays in [-1, 1] (x to the right, y up), flattened: (1, H * W)
for the whole frame or (k, P * P) for one window per image; an emblem's own
frame ``u, v`` has the window's shape, with the emblem's outer ring
of radius 1 centred on the origin. A signed distance is negative inside a
shape; ``cover`` turns it into an anti-aliased coverage in [0, 1].

The brand logo is a ring around a bold three-petal pinwheel whose petals lean
counter-clockwise. The look-alikes (``MARKS``) keep the ring and change the
inner mark, mirror the pinwheel, drop the ring, or put the pinwheel in a
square frame. The drawing is private to plugins/logos.py (the leading
underscore keeps the plugin manager from loading it) and imports only NumPy.
``occlude`` covers parts of emblems; ``camera`` applies blur, contrast and noise last.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

# How far each pinwheel petal leans from the radial direction (radians).
TWIST = 0.65
# Inner marks are designed to fit radius 0.7 and drawn this much bigger (the ring's inner edge is at 0.8).
MARK_SCALE = 1.12
# The logo's petals (half length, half width): bold, so they stay legible at 32 px.
PETAL = (0.36, 0.22)
# Half width of the strokes of letters and outlines: about the ring's, so only the logo has fat lobes.
STROKE = 0.1


def grid(size: int) -> tuple[Array, Array]:
    """Pixel-centre coordinates in [-1, 1], flattened row by row to (1, H * W)."""
    axis = ((np.arange(size) + 0.5) / size * 2 - 1).astype(np.float32)
    return np.tile(axis, size)[None], -np.repeat(axis, size)[None]


def cover(distance: Array, pixel: Array) -> Array:
    """Anti-aliased coverage: 1 inside, 0 outside, a one-pixel ramp on the edge."""
    return np.clip(0.5 - distance / pixel, 0.0, 1.0)


def window(cx: Array, cy: Array, reach: Array, size: int) -> tuple[Array, Array, Array]:
    """Square pixel windows around each centre, big enough for ``reach`` (half frames) all round.

    Drawing in a window instead of the whole frame is several times cheaper.
    Returns the pixel-centre coordinates x, y (k, P * P) float32 and the flat
    pixel indices (k, P * P) into H * W. Windows are shifted to lie inside the
    frame (P <= size), so indices are unique and cover every pixel of the
    shape that is in frame.
    """
    side = min(size, int(np.ceil(float(np.max(reach)) * size)) + 3)
    offsets = np.arange(side)
    left = np.clip(np.floor((cx + 1) * size / 2 - side / 2).astype(int), 0, size - side)
    top = np.clip(np.floor((1 - cy) * size / 2 - side / 2).astype(int), 0, size - side)
    cols, rows = left[:, None] + offsets, top[:, None] + offsets  # (k, P)
    x = ((cols + 0.5) / size * 2 - 1).astype(np.float32)
    y = (1 - (rows + 0.5) / size * 2).astype(np.float32)
    k = len(cx)
    xs = np.broadcast_to(x[:, None, :], (k, side, side)).reshape(k, -1)
    ys = np.broadcast_to(y[:, :, None], (k, side, side)).reshape(k, -1)
    index = (rows[:, :, None] * size + cols[:, None, :]).reshape(k, -1)
    return xs, ys, index


def paint(image: Array, chosen: Array, index: Array, colour: Array, alpha: Array) -> None:
    """Blend ``colour`` (k, 3) over ``image`` (n, 3, H * W) in place at windows ``index`` with ``alpha`` (k, P * P)."""
    pixels = image.shape[-1]
    # One flat index per channel value: far faster than broadcast 3-D fancy indexing.
    flat = ((chosen[:, None, None] * 3 + np.arange(3)[None, :, None]) * pixels + index[:, None, :]).ravel()
    canvas = image.reshape(-1)  # a view: image is contiguous
    patch = canvas[flat].reshape(len(chosen), 3, -1)  # (k, 3, P * P)
    patch += (colour[:, :, None] - patch) * alpha[:, None]
    canvas[flat] = patch.ravel()


def frame(x: Array, y: Array, cx: Array, cy: Array, radius: Array, angle: Array) -> tuple[Array, Array]:
    """Coordinates in each emblem's frame: centre (cx, cy), ring radius, rotation.

    ``x, y`` are (k, P) window coordinates; the parameters are (k,).
    """
    cos, sin = (np.cos(angle) / radius)[:, None], (np.sin(angle) / radius)[:, None]
    dx, dy = x - cx[:, None], y - cy[:, None]
    return dx * cos + dy * sin, dy * cos - dx * sin


def _length(u: Array, v: Array) -> Array:
    return np.sqrt(u * u + v * v)  # np.hypot is several times slower


def ring(u: Array, v: Array) -> Array:
    """The shared outer ring: an annulus from radius 0.8 to 1."""
    return np.abs(_length(u, v) - 0.9) - 0.1


def square_frame(u: Array, v: Array) -> Array:
    """A square outline the size of the ring."""
    return np.abs(np.maximum(np.abs(u), np.abs(v)) - 0.85) - 0.1


def petals(u: Array, v: Array, count: int, twist: float, length: float = 0.33, width: float = 0.15) -> Array:
    """``count`` elliptical petals around the centre, each leaning ``twist`` radians."""
    result = None
    for k in range(count):
        phi = np.pi / 2 + 2 * np.pi * k / count
        cx, cy = 0.33 * np.cos(phi), 0.33 * np.sin(phi)
        cos, sin = np.cos(phi + twist), np.sin(phi + twist)
        du, dv = u - cx, v - cy
        along, across = (du * cos + dv * sin) / length, (dv * cos - du * sin) / width
        petal = (np.sqrt(along * along + across * across) - 1) * width
        result = petal if result is None else np.minimum(result, petal)
    return result


def segment(u: Array, v: Array, ax: float, ay: float, bx: float, by: float, half_width: float) -> Array:
    """A stroke from (ax, ay) to (bx, by) with round ends."""
    dx, dy = bx - ax, by - ay
    pu, pv = u - ax, v - ay
    h = np.clip((pu * dx + pv * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return _length(pu - h * dx, pv - h * dy) - half_width


def _logo_mark(u: Array, v: Array) -> Array:
    return petals(u, v, 3, TWIST, *PETAL)


def _mirrored(u: Array, v: Array) -> Array:
    return petals(u, v, 3, -TWIST, *PETAL)


def _four(u: Array, v: Array) -> Array:
    return petals(u, v, 4, 0.0, 0.3, 0.13)


def _four_twisted(u: Array, v: Array) -> Array:
    return petals(u, v, 4, TWIST, 0.3, 0.13)


def _two(u: Array, v: Array) -> Array:
    return petals(u, v, 2, 0.0, 0.36, 0.16)


def _spokes(u: Array, v: Array) -> Array:
    """A 'Y': three straight strokes from the centre."""
    result = None
    for k in range(3):
        phi = np.pi / 2 + 2 * np.pi * k / 3
        stroke = segment(u, v, 0.0, 0.0, 0.6 * np.cos(phi), 0.6 * np.sin(phi), STROKE)
        result = stroke if result is None else np.minimum(result, stroke)
    return result


def _triangle(u: Array, v: Array) -> Array:
    """A solid equilateral triangle, point up (max of three half-planes)."""
    result = v * -1.0 - 0.28
    for phi in (np.pi / 6, 5 * np.pi / 6):
        result = np.maximum(result, u * np.cos(phi) + v * np.sin(phi) - 0.28)
    return result


def _triangle_outline(u: Array, v: Array) -> Array:
    """The triangle's outline: a thin stroke, no filled lobes."""
    return np.abs(_triangle(u, v * 0.85) + 0.1) - STROKE


def _circle(u: Array, v: Array) -> Array:
    """A small inner circle (a thin stroke)."""
    return np.abs(_length(u, v) - 0.38) - STROKE


def _dot(u: Array, v: Array) -> Array:
    return _length(u, v) - 0.4


def _cross(u: Array, v: Array) -> Array:
    au, av = np.abs(u), np.abs(v)
    return np.minimum(np.maximum(au - 0.55, av - STROKE), np.maximum(au - STROKE, av - 0.55))


def _letter_z(u: Array, v: Array) -> Array:
    top = segment(u, v, -0.4, 0.42, 0.4, 0.42, STROKE)
    bottom = segment(u, v, -0.4, -0.42, 0.4, -0.42, STROKE)
    diagonal = segment(u, v, 0.4, 0.42, -0.4, -0.42, STROKE)
    return np.minimum(np.minimum(top, bottom), diagonal)


def _letter_h(u: Array, v: Array) -> Array:
    left = segment(u, v, -0.36, -0.45, -0.36, 0.45, STROKE)
    right = segment(u, v, 0.36, -0.45, 0.36, 0.45, STROKE)
    bar = segment(u, v, -0.36, 0.0, 0.36, 0.0, STROKE)
    return np.minimum(np.minimum(left, right), bar)


def _letter_a(u: Array, v: Array) -> Array:
    left = segment(u, v, -0.4, -0.45, 0.0, 0.5, STROKE)
    right = segment(u, v, 0.4, -0.45, 0.0, 0.5, STROKE)
    bar = segment(u, v, -0.22, -0.05, 0.22, -0.05, STROKE)
    return np.minimum(np.minimum(left, right), bar)


# Each mark: (outer shape or None, inner mark). "logo" is the brand; every
# other entry is a look-alike that a "logo" classifier must reject.
MARKS = {
    "logo": (ring, _logo_mark),
    "mirrored": (ring, _mirrored),
    "four": (ring, _four),
    "four_twisted": (ring, _four_twisted),
    "two": (ring, _two),
    "spokes": (ring, _spokes),
    "triangle": (ring, _triangle),
    "dot": (ring, _dot),
    "circle": (ring, _circle),
    "triangle_outline": (ring, _triangle_outline),
    "cross": (ring, _cross),
    "letter_z": (ring, _letter_z),
    "letter_a": (ring, _letter_a),
    "letter_h": (ring, _letter_h),
    "bare": (None, _logo_mark),
    "square": (square_frame, _logo_mark),
}


def emblem(u: Array, v: Array, kind: str) -> Array:
    """Signed distance (k, H * W) of emblem ``kind`` (a key of MARKS) in its own frame."""
    outer, inner = MARKS[kind]
    mark = inner(u / MARK_SCALE, v / MARK_SCALE) * MARK_SCALE
    return mark if outer is None else np.minimum(outer(u, v), mark)


def rounded_box(x: Array, y: Array, p: Array) -> Array:
    """Rotated rounded boxes, one per row of ``p`` (7, k, 1): cx, cy, half w, half h, angle, roundness, unused.

    Roundness 1 turns a box into a capsule (or a disc when square), 0 keeps
    sharp corners: one formula for rectangles, bars, discs and strokes.
    """
    cx, cy, hw, hh, angle, roundness = p[:6]
    cos, sin = np.cos(angle), np.sin(angle)
    dx, dy = x - cx, y - cy
    r = roundness * np.minimum(hw, hh)
    qx = np.abs(dx * cos + dy * sin) - (hw - r)
    qy = np.abs(dy * cos - dx * sin) - (hh - r)
    outside = _length(np.clip(qx, 0.0, np.inf), np.clip(qy, 0.0, np.inf))
    return outside + np.clip(np.maximum(qx, qy), -np.inf, 0.0) - r


def upsample(images: Array, size: int) -> Array:
    """Bilinear resize of (m, low, low) images to (m, size, size): two plain matrix products."""
    m, low = images.shape[0], images.shape[-1]
    if low == size:
        return images
    source = np.clip((np.arange(size) + 0.5) * low / size - 0.5, 0, low - 1)
    left = np.minimum(np.floor(source).astype(int), low - 2)
    weights = np.zeros((size, low), dtype=np.float32)
    weights[np.arange(size), left] = 1 - (source - left)
    weights[np.arange(size), left + 1] = source - left
    wide = (images.reshape(m * low, low) @ weights.T).reshape(m, low, size)  # columns resized
    tall = np.ascontiguousarray(wide.swapaxes(1, 2)).reshape(m * size, low) @ weights.T  # (m * size, size)
    return np.ascontiguousarray(tall.reshape(m, size, size).swapaxes(1, 2))


def hsv_to_rgb(h: Array, s: Array, v: Array) -> Array:
    """Vectorised HSV -> RGB for (n,) arrays; returns (n, 3) float32."""
    k = (np.array([5.0, 3.0, 1.0], dtype=np.float32)[None, :] + h[:, None] * 6) % 6
    return (v[:, None] - v[:, None] * s[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)).astype(np.float32)


def boxes_from_alpha(alpha: Array, size: int, threshold: float = 0.5) -> Array:
    """Tight pixel boxes (n, 4) float32 x0, y0, x1, y1 around ``alpha`` >= threshold.

    ``alpha`` is (n, H * W); x1 and y1 are one past the last covered pixel.
    Rows without any covered pixel get (0, 0, 0, 0).
    """
    inside = (alpha >= threshold).reshape(-1, size, size)
    cols, rows = inside.any(axis=1), inside.any(axis=2)  # (n, W), (n, H)
    x0 = cols.argmax(axis=1)
    x1 = size - cols[:, ::-1].argmax(axis=1)
    y0 = rows.argmax(axis=1)
    y1 = size - rows[:, ::-1].argmax(axis=1)
    boxes = np.stack([x0, y0, x1, y1], axis=1).astype(np.float32)
    boxes[~cols.any(axis=1)] = 0.0
    return boxes


def _draws(rng: np.random.Generator, n: int, low: float, high: float, *shape: int) -> Array:
    """(n, *shape) float32 uniform draws."""
    return rng.uniform(low, high, (n, *shape)).astype(np.float32)



def occlude(rng: np.random.Generator, image: Array, size: int, occlude: tuple[float, float],
            present: Array, centre: Array, radius: Array) -> None:
    """Cover part of some emblems with an opaque box or disc reaching in from one side."""
    chance, extent = occlude
    chosen = np.flatnonzero(present & (rng.uniform(0, 1, len(image)) < chance))
    if not chosen.size:
        return
    k, r = chosen.size, radius[chosen, None]
    direction = _draws(rng, k, 0, 2 * np.pi, 1)
    reach = _draws(rng, k, 0.35, extent, 1) * r  # how far it reaches inside the ring
    half = _draws(rng, k, 0.3, 0.6, 1) * r
    params = np.stack([
        centre[chosen, 0, None] + np.cos(direction) * (r - reach + half),
        centre[chosen, 1, None] + np.sin(direction) * (r - reach + half),
        half, _draws(rng, k, 0.6, 1.4, 1) * r, direction,
        (rng.uniform(0, 1, (k, 1)) < 0.5).astype(np.float32),
    ])
    colour = hsv_to_rgb(_draws(rng, k, 0, 1), _draws(rng, k, 0, 1), _draws(rng, k, 0.1, 1))
    _paint_box(image, chosen, params, colour, np.ones((k, 1), dtype=np.float32), size)


def _paint_box(image: Array, chosen: Array, params: Array, colour: Array, opacity: Array, size: int) -> None:
    """Blend rounded boxes (see rounded_box's ``params``) into images ``chosen``."""
    reach = np.sqrt(params[2] ** 2 + params[3] ** 2)[:, 0] + 1.5 / size
    x, y, index = window(params[0, :, 0], params[1, :, 0], reach, size)
    alpha = cover(rounded_box(x, y, params), 2.0 / size)
    alpha *= opacity
    paint(image, chosen, index, colour, alpha)
