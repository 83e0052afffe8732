"""Manufacturing surface inspection: generated surfaces with rare defects, and the heat-map head.

Dataset ``manufacturing.surfaces`` draws close-ups of brushed metal, woven
fabric, wood and concrete on whole batches of pixel grids; a fraction
``defect_rate`` of them carry one defect (a scratch, crack, stain, dent or
hole, or a cluster of contamination particles) at a random place, size,
orientation and contrast, with its per-pixel mask. ``difficulty`` makes the
defects smaller and fainter and the lighting, texture and noise more uneven.

The plugin also registers the defect heads: "defect_map" (the default, a map at input resolution,
plugins/_defect_map_head.py) and the coarse "heatmap" (plugins/_heatmap_head.py).
Registration is cheap: NumPy and torch are imported only when a dataset is
loaded or a head is built. This plugin talks to CNN Studio only through
``cnnstudio.plugin_api``.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.plugin_api import DatasetOption, DatasetSpec, HeadSpec, hookimpl, private_module, standard_options

PLUGIN_PRIORITY = 20

DATASET_ID = "manufacturing.surfaces"
DEFECT_NAMES = ("scratch", "crack", "spot", "dent", "contamination")
TEXTURE_NAMES = ("metal", "fabric", "wood", "concrete")
# Images are rendered in chunks of about this many pixels; each chunk has its
# own random stream, so results depend only on the options.
CHUNK_PIXELS = 2**18

# Variation per difficulty. grow: defect size factor (1 = sizes in pixels of a
# 64 px image); contrast: defect strength; texture: texture contrast; scale:
# texture zoom; light: strength of the lighting gradient; noise: sensor noise sigma.
DIFFICULTY = {
    "easy": dict(grow=(1.3, 1.8), contrast=(0.4, 0.65), texture=(0.06, 0.12), scale=(0.9, 1.1),
                 light=0.1, noise=0.015),
    "normal": dict(grow=(1.1, 1.6), contrast=(0.3, 0.55), texture=(0.07, 0.13), scale=(0.8, 1.25),
                   light=0.2, noise=0.025),
    "hard": dict(grow=(0.7, 1.1), contrast=(0.1, 0.3), texture=(0.12, 0.22), scale=(0.65, 1.5),
                 light=0.35, noise=0.04),
}

DESCRIPTION = (
    "Visual inspection: is this close-up of a surface (brushed metal, woven fabric, wood, concrete) "
    "ok, or does it carry a defect - a scratch, crack, stain, dent or hole, or contamination? "
    "Each defect image comes with a mask of the defect's pixels, which the 'defect_map' head learns "
    "to point at, pixel by pixel. Defects are rare, as on a real line: with defect_rate 0.2 a model that calls "
    "everything ok is already 80% accurate, so judge it by recall, F1 and ROC AUC, not accuracy. "
    "A class-weighted loss (training.class_balanced_loss, on by default) or balanced sampling "
    "keeps the rare class from being ignored. 'defect_types' asks for the kind of defect instead "
    "of ok/defect; 'difficulty' makes defects smaller and fainter and the lighting and noise worse."
)


@hookimpl
def cnnstudio_datasets() -> list[DatasetSpec]:
    """The generated surface-defect dataset."""
    return [
        DatasetSpec(
            id=DATASET_ID,
            title="Surface defects",
            domain="Manufacturing",
            description=DESCRIPTION,
            task="defect",
            class_names=("ok", "defect"),
            default_head="defect_map",
            options=standard_options(count=2000, size=64, difficulty="normal") + (
                DatasetOption("defect_rate", 0.2, "fraction of images with a defect (inspection data is imbalanced)",
                              minimum=0.01, maximum=0.99),
                DatasetOption("defect_types", False,
                              "classes are the defect kinds (ok, scratch, crack, spot, dent, contamination) "
                              "instead of ok/defect"),
                DatasetOption("textures", "all", "which surfaces to draw: all, or one of them",
                              choices=("all", *TEXTURE_NAMES)),
            ),
            load=load_surfaces,
        )
    ]


def _build_heatmap(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> Any:
    """Build the heat-map head (imported only now: it needs torch)."""
    build_heatmap_head = private_module(__file__, "_heatmap_head").build_heatmap_head
    return build_heatmap_head(feature_shape, num_classes, options)


def _build_defect_map(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> Any:
    """Build the defect-map head (imported only now: it needs torch)."""
    build_defect_map_head = private_module(__file__, "_defect_map_head").build_defect_map_head
    return build_defect_map_head(feature_shape, num_classes, options)


@hookimpl
def cnnstudio_heads() -> list[HeadSpec]:
    """The defect heads: a map at input resolution (the default) and the coarse heat map."""
    return [
        HeadSpec(
            id="defect_map",
            title="Defect map (input resolution)",
            tasks=("defect",),
            description=(
                "An image-level defect score plus a map with one value per input pixel, so a 1-2 px "
                "scratch is marked where it is. A light decoder adds the backbone's earlier, finer maps "
                "back in (U-Net style); the map's strongest pixels also raise the score. Trained from the "
                "masks when the dataset has them; its decision threshold is saved with the model."
            ),
            build=_build_defect_map,
            options=("threshold", "mask_weight"),
        ),
        HeadSpec(
            id="heatmap",
            title="Defect heat map (coarse)",
            tasks=("defect",),
            description=(
                "An image-level defect score plus a coarse heat map (one cell per 8 input pixels with the "
                "recommended model) of where the defect is: cheaper than the defect map, and enough for "
                "defects larger than a cell. Trained from the masks when the dataset has them; its "
                "decision threshold is saved "
                "with the model and can be changed."
            ),
            build=_build_heatmap,
            options=("threshold", "mask_weight"),
        )
    ]


def load_surfaces(options: dict[str, Any]) -> Any:
    """Generate the surface images for resolved ``options`` as an ImageSet with masks.

    Same options, bit-identical images. round(count * defect_rate) images
    carry a defect (at least one, and at least one stays ok); defect kinds
    and textures are balanced (counts differ by at most one) and shuffled.
    """
    import torch

    from cnnstudio.plugin_api import ImageSet

    plan = plan_images(options)
    images, masks = render_all(plan, options)
    kinds = plan["kinds"]
    labels = kinds + 1 if options.get("defect_types", False) else (kinds >= 0).astype(kinds.dtype)
    class_names = ("ok", *DEFECT_NAMES) if options.get("defect_types", False) else ("ok", "defect")
    count = len(kinds)
    return ImageSet(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels.astype("int64")),
        class_names=list(class_names),
        masks=torch.from_numpy(masks),
        sources=[f"{DATASET_ID}#{i}" for i in range(count)],
        name=DATASET_ID,
    )


def plan_images(options: dict[str, Any]) -> dict[str, Any]:
    """Per image: its defect kind (-1 for ok, else an index into DEFECT_NAMES) and texture index."""
    import numpy as np

    count, seed = int(options["count"]), int(options["seed"])
    rate = float(options.get("defect_rate", 0.2))
    rng = np.random.default_rng([seed, 0])
    defects = min(count - 1, max(1, round(count * rate)))  # both classes present
    kinds = np.full(count, -1, dtype=np.int64)
    kinds[:defects] = rng.permutation(np.arange(defects) % len(DEFECT_NAMES))
    kinds = kinds[rng.permutation(count)]
    chosen = str(options.get("textures", "all"))
    if chosen == "all":
        textures = rng.permutation(np.arange(count) % len(TEXTURE_NAMES))
    else:
        textures = np.full(count, TEXTURE_NAMES.index(chosen), dtype=np.int64)
    return {"kinds": kinds, "textures": textures}


def render_all(plan: dict[str, Any], options: dict[str, Any], draw_defects: bool = True) -> tuple[Any, Any]:
    """(N, 3, H, W) uint8 images and (N, H, W) uint8 masks for a plan, chunk by chunk.

    With ``draw_defects=False`` the very same surfaces come out without their
    defects (the masks are unchanged): the random streams do not depend on it.
    """
    import numpy as np

    size, seed = int(options["size"]), int(options["seed"])
    settings = DIFFICULTY[options.get("difficulty", "normal")]
    kinds, textures = plan["kinds"], plan["textures"]
    count = len(kinds)
    images = np.empty((count, 3, size, size), dtype=np.uint8)  # (N, 3, H, W) uint8
    masks = np.empty((count, size, size), dtype=np.uint8)  # (N, H, W) uint8
    chunk = max(1, CHUNK_PIXELS // (size * size))
    for index, start in enumerate(range(0, count, chunk)):
        rng = np.random.default_rng([seed, 1, index])
        part = slice(start, start + chunk)
        image, mask = render(kinds[part], textures[part], size, settings, rng, draw_defects)
        images[part], masks[part] = image, mask
    return images, masks


def render(kinds: Any, textures: Any, size: int, settings: dict[str, Any], rng: Any,
           draw_defects: bool = True) -> tuple[Any, Any]:
    """Draw one chunk: returns (n, 3, size, size) uint8 images and (n, size, size) uint8 masks."""
    import numpy as np

    draw = private_module(__file__, "_surface_drawing")
    n = len(kinds)
    x, y = draw.grid(size)
    image = np.empty((n, 3, size * size), dtype=np.float32)  # (n, 3, H * W) reflectance
    scale = draw.uniform(rng, n, *settings["scale"], 1)
    strength = draw.uniform(rng, n, *settings["texture"], 1)
    for index, name in enumerate(TEXTURE_NAMES):
        chosen = np.flatnonzero(textures == index)
        if not chosen.size:
            continue
        field = draw.TEXTURE_FUNCTIONS[name](rng, x, y, size, scale[chosen])
        colour, factor = draw.texture_colours(rng, name, chosen.size)
        shade = 1 + field * (strength[chosen] * factor)
        image[chosen] = colour[:, :, None] * shade[:, None]

    mask = np.zeros((n, size * size), dtype=np.uint8)
    grow = draw.uniform(rng, n, *settings["grow"], 1) * (size / 64)
    contrast = draw.uniform(rng, n, *settings["contrast"], 1, 1)
    # Stains and particles are tinted; scratches, cracks and dents change brightness only.
    tint = 1 + draw.uniform(rng, n, -0.35, 0.35, 3, 1)
    for index, name in enumerate(DEFECT_NAMES):
        chosen = np.flatnonzero(kinds == index)
        if not chosen.size:
            continue
        alpha, effect = draw.DEFECT_FUNCTIONS[name](rng, x, y, size, grow[chosen])
        covered = alpha >= draw.MASK_LEVEL
        empty = ~covered.any(axis=1)
        covered[empty, alpha[empty].argmax(axis=1)] = True  # the defect's strongest pixel, at least
        mask[chosen] = covered
        if draw_defects:
            colour = tint[chosen] if name in ("spot", "contamination") else 1.0
            image[chosen] += contrast[chosen] * effect[:, None] * colour
    _camera(draw, rng, image, x, y, settings)
    pixels = np.clip(image, 0.0, 255.0, out=image).astype(np.uint8)
    return pixels.reshape(n, 3, size, size), mask.reshape(n, size, size)


def _camera(draw: Any, rng: Any, image: Any, x: Any, y: Any, settings: dict[str, Any]) -> None:
    """Uneven lighting, vignetting and sensor noise; scales ``image`` (n, 3, H * W) to 0..255 in place."""
    import numpy as np

    n = len(image)
    ramp, _ = draw.rotate(x, y, draw.uniform(rng, n, 0, 2 * np.pi, 1))
    light = 1 + settings["light"] * draw.uniform(rng, n, 0.2, 1.0, 1) * ramp
    light -= draw.uniform(rng, n, 0.0, settings["light"], 1) * 0.5 * (x * x + y * y)
    image *= light[:, None] * 255
    noise = settings["noise"] * 255 * draw.uniform(rng, n, 0.5, 1.0, 1)
    # Luminance noise (the same on all three channels): one fancy draw, not three.
    image += (draw.grain(rng, n, image.shape[2]) * noise)[:, None]
    image += 0.5  # rounds when truncating to uint8
