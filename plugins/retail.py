"""Retail product photos: the default domain, generated procedurally.

Dataset ``retail.products`` draws side-view shoes and handbags (optionally
t-shirts, bottles and watches too) as signed-distance shapes on whole
batches of coordinate grids: per image a random pose, scale, position,
colour, texture, lighting, background clutter, occlusion, blur and sensor
noise. ``difficulty`` scales that nuisance variation; at ``hard`` some
products are heavily occluded or pushed partly out of frame.

Registration is cheap: NumPy and torch are imported only when a dataset is
loaded. This plugin talks to CNN Studio only through ``cnnstudio.plugin_api``.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.plugin_api import DatasetOption, DatasetSpec, hookimpl, private_module, standard_options

# The default domain: listed first.
PLUGIN_PRIORITY = 10

DATASET_ID = "retail.products"
CLASS_SETS = {
    "2": ("shoe", "handbag"),
    "5": ("shoe", "handbag", "t-shirt", "bottle", "watch"),
}
# Images are rendered in chunks of about this many pixels: enough to
# vectorise well, small enough to stay in cache. Each chunk has its own random
# stream, so results depend only on the options.
CHUNK_PIXELS = 2**18

# Nuisance variation per difficulty. scale: product size as a fraction of the
# frame; shift: how far its centre may move (1 = to the frame edge); turn:
# max rotation in degrees; clutter: background shapes; occlude: chance of an
# occluder in front and its size; camouflage: how far the product colour is
# pulled towards the background; noise: sensor noise sigma; blur: chance of blur.
DIFFICULTY = {
    "easy": dict(scale=(0.8, 0.95), shift=0.05, turn=8, clutter=1, clutter_alpha=0.35, occlude=(0.0, 0.0),
                 camouflage=0.0, noise=0.02, blur=0.0, contrast=(0.95, 1.05), upside_down=0.0),
    "normal": dict(scale=(0.65, 0.95), shift=0.15, turn=20, clutter=3, clutter_alpha=0.7, occlude=(0.1, 0.3),
                   camouflage=0.15, noise=0.04, blur=0.15, contrast=(0.75, 1.1), upside_down=0.0),
    "hard": dict(scale=(0.45, 1.0), shift=0.35, turn=45, clutter=5, clutter_alpha=1.0, occlude=(0.4, 0.45),
                 camouflage=0.45, noise=0.07, blur=0.5, contrast=(0.5, 1.1), upside_down=0.1),
}

@hookimpl
def cnnstudio_datasets() -> list[DatasetSpec]:
    """The retail product-photo dataset."""
    return [
        DatasetSpec(
            id=DATASET_ID,
            title="Retail product photos",
            domain="Retail",
            description=(
                "Generated product photos: is it a shoe or a handbag? Products vary in "
                "colour, texture, pose, size and position over cluttered backgrounds, "
                "with uneven lighting and sensor noise. 'classes = 5' adds t-shirts, "
                "bottles and watches; 'difficulty' controls the clutter, occlusion and noise."
            ),
            task="classification",
            class_names=CLASS_SETS["2"],
            options=standard_options(count=2000, size=32, difficulty="normal")
            + (
                DatasetOption(
                    "classes", "2",
                    "2: shoe and handbag (the lesson's question); 5: adds t-shirt, bottle and watch",
                    choices=tuple(CLASS_SETS),
                ),
            ),
            load=load_products,
        )
    ]


def load_products(options: dict[str, Any]) -> Any:
    """Generate the product photos for resolved ``options`` as an ImageSet.

    Same options, bit-identical images. Labels are balanced across classes
    (counts differ by at most one) and shuffled.
    """
    import numpy as np
    import torch

    from cnnstudio.plugin_api import ImageSet

    count, size, seed = int(options["count"]), int(options["size"]), int(options["seed"])
    class_names = CLASS_SETS[str(options.get("classes", "2"))]
    settings = DIFFICULTY[options.get("difficulty", "normal")]
    rng = np.random.default_rng([seed, 0])
    labels = rng.permutation(np.arange(count) % len(class_names))
    images = np.empty((count, 3, size, size), dtype=np.uint8)  # (N, 3, H, W) uint8
    chunk = max(1, CHUNK_PIXELS // (size * size))
    for index, start in enumerate(range(0, count, chunk)):
        chunk_rng = np.random.default_rng([seed, 1, index])
        # Rendered grouped by class, so each class's images are a slice (no copies).
        order = np.argsort(labels[start:start + chunk], kind="stable")
        rendered = render(labels[start:start + chunk][order], class_names, size, settings, chunk_rng)
        images[start + order] = rendered
    return ImageSet(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels.astype(np.int64)),
        class_names=list(class_names),
        sources=[f"{DATASET_ID}#{i}" for i in range(count)],
        name=DATASET_ID,
    )


def render(labels: Any, class_names: tuple[str, ...], size: int, settings: dict[str, Any], rng: Any) -> Any:
    """Draw one product photo per label (sorted by class): returns (n, 3, size, size) uint8."""
    import numpy as np

    draw = private_module(__file__, "_retail_drawing")
    n = len(labels)
    # Pose: shift, turn, scale and flip of each product (x right, y up, in [-1, 1]).
    scale = _uniform(rng, n, *settings["scale"])
    tx, ty = _uniform(rng, n, -1, 1) * settings["shift"], _uniform(rng, n, -1, 1) * settings["shift"]
    turn = np.radians(_uniform(rng, n, -1, 1) * settings["turn"]) + np.pi * (rng.uniform(0, 1, n) < settings["upside_down"])
    flip = np.where(rng.uniform(0, 1, n) < 0.5, -1.0, 1.0)
    to_u, to_v = draw.frame_coefficients((tx, ty, np.cos(turn) / scale, np.sin(turn) / scale, flip))

    image, base = _backdrop(draw, rng, n, size, settings, to_u, to_v)  # (n, 3, H * W) float32 in [0, 1]
    _draw_products(draw, rng, image, labels, class_names, size, settings, base, scale, to_u, to_v)
    _occlude(draw, rng, image, size, settings["occlude"], tx, ty, scale)
    return private_module(__file__, "_camera").camera(rng, image, size, settings, exposure_spread=0.1)


def _uniform(rng: Any, n: int, low: float, high: float, *shape: int) -> Any:
    """(n, *shape) float32 uniform draws."""
    import numpy as np

    return rng.uniform(low, high, (n, *shape)).astype(np.float32)


def _backdrop(draw: Any, rng: Any, n: int, size: int, settings: dict[str, Any], to_u: Any, to_v: Any) -> tuple[Any, Any]:
    """A gradient, clutter and the product's contact shadow: (n, 3, H * W) and the base colour (n, 3).

    Drawn at low resolution and upsampled, like a defocused backdrop (and cheap).
    """
    import numpy as np

    low = min(size, 16)
    x, y = draw.grid(low, transposed=True)  # column-major: see upsample
    base = _uniform(rng, n, 0.35, 0.95, 3)
    second = np.clip(base + _uniform(rng, n, -0.3, 0.3, 3), 0, 1)
    direction = _uniform(rng, n, 0, 2 * np.pi)[:, None]
    ramp = 0.5 + 0.5 * (x * np.cos(direction) + y * np.sin(direction))
    backdrop = base[:, :, None] + (second - base)[:, :, None] * ramp[:, None]  # (n, 3, low * low)
    for _ in range(settings["clutter"]):
        angle = _uniform(rng, n, 0, np.pi, 1)
        c, s = np.cos(angle), np.sin(angle)
        du, dv = x - _uniform(rng, n, -1.1, 1.1, 1), y - _uniform(rng, n, -1.1, 1.1, 1)
        half_w, half_h = _uniform(rng, n, 0.1, 0.5, 1), _uniform(rng, n, 0.06, 0.3, 1)
        corner = np.minimum(half_w, half_h) * _uniform(rng, n, 0, 1, 1)
        alpha = draw.cover(draw.box(du * c + dv * s, dv * c - du * s, 0.0, 0.0, half_w, half_h, corner), 2.0 / low)
        alpha *= _uniform(rng, n, 0.2, settings["clutter_alpha"], 1)
        backdrop += (_uniform(rng, n, 0.05, 0.95, 3)[:, :, None] - backdrop) * alpha[:, None]
    u, v = draw.linear_map(to_u, x, y), draw.linear_map(to_v, x, y)
    shadow = np.clip(1 - draw.ellipse(u, v, 0.0, -0.5, 0.95, 0.12) / 0.3, 0, 1) * _uniform(rng, n, 0.1, 0.35, 1)
    backdrop *= 1 - shadow[:, None]
    return draw.upsample(backdrop.reshape(n * 3, low, low), size).reshape(n, 3, size * size), base


def _product_colours(draw: Any, rng: Any, n: int, base: Any, camouflage: float) -> dict[str, Any]:
    """(n, 3) colours per part role: main (pulled towards the background by camouflage), trim, dark, metal, dial."""
    import numpy as np

    main = draw.hsv_to_rgb(_uniform(rng, n, 0, 1), _uniform(rng, n, 0.3, 0.95), _uniform(rng, n, 0.25, 0.95))
    main += (base - main) * _uniform(rng, n, 0, camouflage, 1)
    trims = np.array([[0.95, 0.95, 0.93], [0.1, 0.1, 0.1], [0.65, 0.45, 0.25], [0.8, 0.15, 0.1]], dtype=np.float32)
    trim = trims[rng.integers(0, len(trims), n)]
    bright = draw.hsv_to_rgb(_uniform(rng, n, 0, 1), _uniform(rng, n, 0.3, 1), _uniform(rng, n, 0.3, 1))
    metals = np.array([[0.85, 0.75, 0.35], [0.8, 0.8, 0.82]], dtype=np.float32)  # gold, silver
    return {
        "main": main,
        "trim": np.where(rng.uniform(0, 1, (n, 1)) < 0.3, bright, trim),
        "dark": main * 0.3,
        "metal": metals[rng.integers(0, 2, n)],
        "dial": np.full((n, 3), 0.92, dtype=np.float32) - _uniform(rng, n, 0, 0.3, 1),
    }


def _draw_products(draw: Any, rng: Any, image: Any, labels: Any, class_names: tuple[str, ...], size: int,
                   settings: dict[str, Any], base: Any, scale: Any, to_u: Any, to_v: Any) -> None:
    """Paint each image's product over ``image`` (n, 3, H * W), in place."""
    import numpy as np

    n = len(labels)
    colours = _product_colours(draw, rng, n, base, settings["camouflage"])
    kinds, texture = _texture_params(rng, labels)
    # Light falls across the product: brightness 1 + a * u + b * v, so linear in x and y too.
    light_dir = _uniform(rng, n, 0, 2 * np.pi, 1)
    light_u, light_v = _uniform(rng, n, 0.1, 0.4, 1) * np.cos(light_dir), _uniform(rng, n, 0.1, 0.4, 1) * np.sin(light_dir)
    to_light = light_u * to_u + light_v * to_v + np.array([0, 0, 1], dtype=np.float32)
    shape_params = _uniform(rng, 8, 0, 1, n).reshape(8, n, 1)
    pixel = (2.0 / size / scale).reshape(n, 1)  # one pixel, in product units
    x, y = draw.grid(size)
    u, v = draw.linear_map(to_u, x, y), draw.linear_map(to_v, x, y)  # (n, H * W) each
    for class_index, name in enumerate(class_names):
        first, last = np.searchsorted(labels, [class_index, class_index + 1])
        if first == last:
            continue
        chosen = slice(first, last)
        cu, cv = u[chosen], v[chosen]
        parts = draw.PRODUCTS[name](cu, cv, shape_params[:, chosen])
        # Composite the parts front to back as scalar weights, then colour them
        # all at once: a pixel is sum(weight_i * colour_i) + what shows through.
        weights = np.empty((last - first, len(parts), cu.shape[1]), dtype=np.float32)  # (k, parts, H * W)
        through = np.ones_like(cu)
        for index in reversed(range(len(parts))):
            distance, role = parts[index]
            weight = weights[:, index]
            np.multiply(draw.cover(distance, pixel[chosen]), through, out=weight)
            through -= weight
            if role in ("main", "trim"):
                # Darker towards the silhouette's edge: a cheap hint of volume.
                weight *= np.clip(distance * -1.5 + 0.7, 0.7, 1.0)
            if role == "main":
                # Images come sorted by texture within a class: one call per kind.
                bounds = np.searchsorted(kinds[chosen], np.arange(len(draw.TEXTURES) + 1))
                for kind, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                    if kind and lo < hi:
                        pattern = draw.texture(cu[lo:hi], cv[lo:hi], draw.TEXTURES[kind], texture[:, first + lo:first + hi])
                        weight[lo:hi] *= pattern + 1
        weights *= draw.linear_map(to_light[chosen], x, y)[:, None]
        palette = np.stack([colours[role][chosen] for _, role in parts], axis=2)  # (k, 3, parts)
        canvas = image[chosen]  # a view: slices, not copies
        canvas *= through[:, None]
        canvas += palette @ weights


def _occlude(draw: Any, rng: Any, image: Any, size: int, occlude: tuple[float, float], tx: Any, ty: Any, scale: Any) -> None:
    """Put a box (a hand, a price tag, another item) in front of some products, in place."""
    import numpy as np

    chance, extent = occlude
    chosen = np.flatnonzero(rng.uniform(0, 1, len(image)) < chance)
    if not chosen.size:
        return
    k = chosen.size
    x, y = draw.grid(size)
    half = _uniform(rng, k, 0.3, 1.0, 1) * extent
    cx = tx[chosen, None] + _uniform(rng, k, -0.5, 0.5, 1) * scale[chosen, None]
    cy = ty[chosen, None] + _uniform(rng, k, -0.5, 0.5, 1) * scale[chosen, None]
    alpha = draw.cover(draw.box(x - cx, y - cy, 0.0, 0.0, half, half * _uniform(rng, k, 0.5, 1.5, 1), 0.05), 2.0 / size)
    image[chosen] += (_uniform(rng, k, 0.1, 0.9, 3, 1) - image[chosen]) * alpha[:, None]


def _texture_params(rng: Any, labels: Any) -> tuple[Any, Any]:
    """A texture kind per image (indices into TEXTURES) and its parameters (7, n, 1).

    Kinds are sorted within each class (labels come sorted), which changes
    nothing statistically but lets each kind be drawn on a slice.
    """
    import numpy as np

    n = len(labels)
    kinds = rng.integers(0, 5, n)
    kinds = kinds[np.lexsort((kinds, labels))]
    freq, angle = rng.uniform(6, 14, n), rng.uniform(0, np.pi, n)
    c, s = np.cos(angle) * freq, np.sin(angle) * freq
    leather = kinds == 4
    a2, b2 = np.where(leather, -2.3 * s, -s), np.where(leather, 1.9 * c, c)
    a1, b1 = np.where(leather, 1.7 * c, c), np.where(leather, 1.3 * s, s)
    phases = rng.uniform(0, 2 * np.pi, (2, n))
    amplitude = np.where(kinds == 1, rng.uniform(0.3, 0.6, n), rng.uniform(0.12, 0.35, n))
    params = np.stack([a1, b1, phases[0], a2, b2, phases[1], amplitude]).astype(np.float32)
    return kinds, params.reshape(7, n, 1)
