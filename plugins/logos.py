"""Marketing: does a scene show the brand's logo, and where? Generated procedurally.

Dataset ``marketing.logos`` draws scenes (gradients, textures, clutter
shapes) that may hold the brand's logo, always the same emblem (a ring
around a bold three-petal pinwheel), at a random place, size, rotation and
colour, sometimes partly covered. Look-alike emblems (the same ring around
thin-stroke marks; at "hard" also the mirrored pinwheel, two or four petals,
the pinwheel without its ring) appear in both classes. Each logo image carries one tight pixel box.

This plugin also registers the ``box`` head (presence score plus one box,
from plugins/_box_head.py). The dataset's default is the ``boxes`` head from
plugins/object_boxes.py, which finds every logo; ``box`` stays a choice.
Registration is cheap: NumPy and torch are imported only when a dataset is
loaded or a head is built. The plugin talks to CNN Studio only through
``cnnstudio.plugin_api``.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.plugin_api import DatasetOption, DatasetSpec, HeadSpec, hookimpl, private_module, standard_options

PLUGIN_PRIORITY = 40

DATASET_ID = "marketing.logos"
CLASS_NAMES = ("no_logo", "logo")
# Images are rendered in chunks of about this many pixels, each chunk with
# its own random stream, so results depend only on the options.
CHUNK_PIXELS = 2**19
# The background is drawn at most this many pixels wide, then upsampled.
BACKDROP_SIZE = 32
# Candidate places tried per emblem; the one farthest from the others wins.
PLACE_TRIES = 6

# Look-alikes share the logo's ring. Easy and normal ones are thin strokes
# with no three-fold symmetry, plain at 32 px; the rest are saved for hard.
EASY_MARKS = ("circle", "cross")
NORMAL_MARKS = EASY_MARKS + ("letter_z", "letter_h")
HARD_MARKS = NORMAL_MARKS + (
    "letter_a", "triangle_outline", "dot", "triangle", "spokes", "two", "four", "bare", "mirrored", "square",
    "four_twisted",
)

# Variation per difficulty. radius: emblem ring radius as a fraction of the
# half frame; inside: how much of an emblem must stay in frame (1 = all);
# turn: max rotation in degrees; marks: the look-alike pool; extra: look-alikes
# added to the `distractors` option; clutter: background shapes; occlude:
# chance of an occluder on each emblem and its largest half size (in ring
# radii); opacity and camouflage: how faint emblems may get; light: the
# background's brightness range; dark_ink: the share of emblems printed darker
# than their background whatever it is (one polarity is far quicker to learn
# for a small CNN, so easy and normal keep it fixed).
DIFFICULTY = {
    "easy": dict(radius=(0.5, 0.7), inside=1.0, turn=20, marks=EASY_MARKS, extra=0, clutter=0,
                 clutter_alpha=0.4, occlude=(0.0, 0.0), gap=(0.45, 0.75), opacity=(0.95, 1.0), camouflage=0.0,
                 light=(0.6, 1.0), dark_ink=1.0, noise=0.015, blur=0.0, contrast=(0.95, 1.05)),
    "normal": dict(radius=(0.46, 0.66), inside=1.0, turn=180, marks=NORMAL_MARKS, extra=0, clutter=1,
                   clutter_alpha=0.5, occlude=(0.1, 0.45), gap=(0.4, 0.7), opacity=(0.9, 1.0), camouflage=0.0,
                   light=(0.6, 1.0), dark_ink=1.0, noise=0.02, blur=0.05, contrast=(0.9, 1.05)),
    "hard": dict(radius=(0.32, 0.5), inside=0.85, turn=180, marks=HARD_MARKS, extra=2, clutter=4,
                 clutter_alpha=0.8, occlude=(0.3, 0.55), gap=(0.2, 0.6), opacity=(0.7, 1.0), camouflage=0.1,
                 light=(0.2, 1.0), dark_ink=0.5, noise=0.04, blur=0.2, contrast=(0.7, 1.1)),
}

DESCRIPTION = (
    "Logo detection: find the brand's logo in a picture and draw a box around it. The brand's "
    "emblem is always the same design, a ring around three bold petals that lean to the left, "
    "but it turns up anywhere, at any size, angle and colour, over busy backgrounds and "
    "sometimes partly hidden. Half of the scenes (option 'logo_rate') hold it, with a tight box "
    "around it. Scenes with and without the logo also hold look-alike emblems: the same ring "
    "around another mark (a circle, a cross, letters, a triangle outline) and, at 'hard', marks "
    "only a close look tells apart: the mirrored logo, two or four petals, spokes, a dot, the "
    "petals without their ring or in a square frame. They are why this is detection and not 'is "
    "there a shape?': a model must learn the logo's exact design. Set 'distractors' to 0 to see "
    "how much easier the question becomes without them. 'easy' and 'normal' print every emblem "
    "in dark ink on a light background; 'hard' makes logos smaller, fainter, of either polarity, "
    "more often covered, with more and closer look-alikes. A mirrored logo is not the logo, so "
    "training turns flip augmentation off for this dataset."
)


def _build_box_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> Any:
    """Build the box head from plugins/_box_head.py (imported only now: it needs torch)."""
    return private_module(__file__, "_box_head").build_box_head(feature_shape, num_classes, options)


@hookimpl
def cnnstudio_heads() -> list[HeadSpec]:
    """The box head: presence score plus one box per image."""
    return [
        HeadSpec(
            id="box",
            title="Logo detector (presence + box)",
            build=_build_box_head,
            options=("threshold", "box_weight"),
            tasks=("detection",),
            description=(
                "Answers two questions per image: is the object there (a presence score, decided "
                "at an adjustable threshold) and where (one box, x0, y0, x1, y1). Each cell of the "
                "backbone's feature grid scores how likely it holds the object's centre and "
                "regresses the box from there; the most confident cell gives the box. "
                "Metrics: presence accuracy, mean IoU of the predicted boxes with the true ones, "
                "and AP at IoU 0.5 (a box counts as found when it overlaps the truth by half)."
            ),
        )
    ]


@hookimpl
def cnnstudio_datasets() -> list[DatasetSpec]:
    """The logo-detection dataset."""
    return [
        DatasetSpec(
            id=DATASET_ID,
            title="Brand logos in scenes",
            domain="Marketing",
            description=DESCRIPTION,
            task="detection",
            class_names=CLASS_NAMES,
            mirror_safe=False,  # the mirrored pinwheel is one of the look-alikes
            options=standard_options(count=2000, size=64, difficulty="normal")
            + (
                DatasetOption("logo_rate", 0.5, "share of scenes that show the logo", minimum=0.0, maximum=1.0),
                DatasetOption(
                    "distractors", 2,
                    "most look-alike emblems per scene (hard adds two); 0 leaves only the logo",
                    minimum=0, maximum=6,
                ),
            ),
            load=load_logos,
            default_head="boxes",  # plugins/object_boxes.py; "box" stays a choice
        )
    ]


def load_logos(options: dict[str, Any]) -> Any:
    """Generate the scenes for resolved ``options`` as an ImageSet with boxes."""
    return generate(options)[0]


def generate(options: dict[str, Any]) -> tuple[Any, Any]:
    """The ImageSet and the logo's coverage (N, H, W) float32 before occlusion (0 without a logo).

    Same options, bit-identical results. Exactly round(count * logo_rate)
    scenes show the logo, shuffled.
    """
    import numpy as np
    import torch

    from cnnstudio.plugin_api import ImageSet

    count, size, seed = int(options["count"]), int(options["size"]), int(options["seed"])
    settings = DIFFICULTY[options.get("difficulty", "normal")]
    most = min(6, int(options.get("distractors", 2)) + settings["extra"])
    with_logo = int(round(count * float(options.get("logo_rate", 0.5))))
    rng = np.random.default_rng([seed, 0])
    labels = rng.permutation(np.arange(count) < with_logo).astype(np.int64)
    images = np.empty((count, 3, size, size), dtype=np.uint8)  # (N, 3, H, W) uint8
    alpha = np.empty((count, size * size), dtype=np.float32)
    chunk = max(1, CHUNK_PIXELS // (size * size))
    for index, start in enumerate(range(0, count, chunk)):
        chunk_rng = np.random.default_rng([seed, 1, index])
        part = slice(start, start + chunk)
        images[part], alpha[part] = render(labels[part], size, settings, most, chunk_rng)
    boxes = private_module(__file__, "_logo_drawing").boxes_from_alpha(alpha, size)
    box_list = [torch.from_numpy(boxes[i:i + 1]) if labels[i] else torch.zeros((0, 4)) for i in range(count)]
    imageset = ImageSet(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels),
        class_names=list(CLASS_NAMES),
        boxes=box_list,
        sources=[f"{DATASET_ID}#{i}" for i in range(count)],
        name=DATASET_ID,
    )
    return imageset, alpha.reshape(count, size, size)


def render(labels: Any, size: int, settings: dict[str, Any], most: int, rng: Any) -> tuple[Any, Any]:
    """One scene per label: (n, 3, size, size) uint8 and the logo coverage (n, H * W) before occlusion."""
    import numpy as np

    draw = private_module(__file__, "_logo_drawing")
    n = len(labels)
    image, base = _backdrop(draw, rng, n, size, settings)  # (n, 3, H * W) float32 in [0, 1]
    kinds, centres, radii = _layout(rng, labels, most, settings)
    logo_alpha = np.zeros((n, size * size), dtype=np.float32)
    # Look-alikes first (slots 1..), the logo (slot 0) last, so it is never hidden by them.
    for slot in range(kinds.shape[1] - 1, -1, -1):
        for kind in np.unique(kinds[:, slot]):
            if kind < 0:
                continue
            chosen = np.flatnonzero(kinds[:, slot] == kind)
            name = "logo" if kind == 0 else settings["marks"][kind - 1]
            coverage, index = _draw_emblem(draw, rng, image, chosen, name, size, settings, base,
                                           centres[chosen, slot], radii[chosen, slot])
            if name == "logo":
                logo_alpha[chosen[:, None], index] = coverage
    for slot in range(kinds.shape[1]):
        draw.occlude(rng, image, size, settings["occlude"], kinds[:, slot] >= 0, centres[:, slot], radii[:, slot])
    camera = private_module(__file__, "_camera").camera
    return camera(rng, image, size, settings, exposure_spread=0.08), logo_alpha


def _uniform(rng: Any, n: int, low: float, high: float, *shape: int) -> Any:
    """(n, *shape) float32 uniform draws."""
    import numpy as np

    return rng.uniform(low, high, (n, *shape)).astype(np.float32)


def _layout(rng: Any, labels: Any, most: int, settings: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Which emblem sits in which slot, where and how big.

    kinds (n, slots) int: 0 the logo (slot 0 only), 1.. an index into
    settings["marks"] plus one, -1 empty. Every scene has the same number of
    emblems in distribution whatever its label (1..most, the logo counting as
    one), so counting shapes says nothing. centres (n, slots, 2), radii (n, slots).
    """
    import numpy as np

    n, slots = len(labels), max(most, 1)
    total = rng.integers(1, slots + 1, n) if most else labels.astype(int)
    marks = rng.integers(1, len(settings["marks"]) + 1, (n, slots))
    kinds = np.where(np.arange(slots)[None] < total[:, None], marks, -1)
    kinds[:, 0] = np.where(labels == 1, 0, kinds[:, 0])
    if not most:
        kinds[:, 0] = np.where(labels == 1, 0, -1)
    radii = _uniform(rng, n, *settings["radius"], slots)
    limit = 1.0 - radii * settings["inside"]  # centre range that keeps the emblem (mostly) in frame
    centres = np.zeros((n, slots, 2), dtype=np.float32)
    for slot in range(slots):
        candidates = _uniform(rng, n, -1, 1, PLACE_TRIES, 2) * limit[:, slot, None, None]
        if slot == 0:
            centres[:, 0] = candidates[:, 0]
            continue
        # Distance of each candidate to the nearest placed emblem, edge to edge.
        gaps = np.linalg.norm(candidates[:, :, None] - centres[:, None, :slot], axis=-1)
        gaps -= radii[:, None, :slot] + radii[:, slot, None, None]
        best = gaps.min(axis=2).argmax(axis=1)
        centres[:, slot] = candidates[np.arange(n), best]
    return kinds, centres, radii


def _backdrop(draw: Any, rng: Any, n: int, size: int, settings: dict[str, Any]) -> tuple[Any, Any]:
    """A two-colour gradient, a faint texture and clutter shapes: (n, 3, H * W) and the base colour (n, 3).

    Drawn at (at most) 32 x 32 and upsampled: a slightly defocused background
    behind sharp emblems, at a quarter of the cost.
    """
    import numpy as np

    low = min(size, BACKDROP_SIZE)
    x, y = draw.grid(low)
    base = draw.hsv_to_rgb(_uniform(rng, n, 0, 1), _uniform(rng, n, 0, 0.7), _uniform(rng, n, *settings["light"]))
    second = np.clip(base + _uniform(rng, n, -0.35, 0.35, 3), 0, 1)
    direction = _uniform(rng, n, 0, 2 * np.pi, 1)
    ramp = 0.5 + 0.5 * (x * np.cos(direction) + y * np.sin(direction))  # (n, low * low)
    image = base[:, :, None] + (second - base)[:, :, None] * ramp[:, None]
    # Texture: stripes, or checks when a second crossed wave multiplies in.
    freq, angle = _uniform(rng, n, 3, 10, 1), _uniform(rng, n, 0, np.pi, 1)
    wave = np.sin((x * np.cos(angle) + y * np.sin(angle)) * freq + _uniform(rng, n, 0, 6.3, 1))
    checks = rng.uniform(0, 1, n) < 0.5
    wave[checks] *= np.sin((y * np.cos(angle) - x * np.sin(angle)) * freq)[checks]
    image += (wave * _uniform(rng, n, 0.0, 0.08, 1))[:, None]
    for _ in range(settings["clutter"]):
        params = np.stack([
            _uniform(rng, n, -1, 1, 1), _uniform(rng, n, -1, 1, 1),
            _uniform(rng, n, 0.03, 0.45, 1), _uniform(rng, n, 0.03, 0.3, 1),
            _uniform(rng, n, 0, np.pi, 1), (rng.uniform(0, 1, (n, 1)) < 0.5).astype(np.float32),
        ])
        alpha = draw.cover(draw.rounded_box(x, y, params), 2.0 / low)
        alpha *= _uniform(rng, n, 0.3, 1.0, 1) * settings["clutter_alpha"]
        colour = draw.hsv_to_rgb(_uniform(rng, n, 0, 1), _uniform(rng, n, 0, 1), _uniform(rng, n, 0.1, 1))
        image += (colour[:, :, None] - image) * alpha[:, None]
    image = draw.upsample(image.reshape(n * 3, low, low), size).reshape(n, 3, size * size)
    return image, base


def _draw_emblem(draw: Any, rng: Any, image: Any, chosen: Any, name: str, size: int,
                 settings: dict[str, Any], base: Any, centre: Any, radius: Any) -> tuple[Any, Any]:
    """Blend emblem ``name`` into images ``chosen``.

    Returns its coverage (k, P * P) before opacity and the window's pixel indices.
    """
    import numpy as np

    k = len(chosen)
    angle = np.radians(_uniform(rng, k, -1, 1) * settings["turn"])
    x, y, index = draw.window(centre[:, 0], centre[:, 1], radius + 1.5 / size, size)
    u, v = draw.frame(x, y, centre[:, 0], centre[:, 1], radius, angle)
    coverage = draw.cover(draw.emblem(u, v, name), (2.0 / size / radius)[:, None])
    # Brightness a random gap away from the background's, on the side with more room.
    backdrop = base[chosen].max(axis=1)
    gap = _uniform(rng, k, *settings["gap"])
    darker = (backdrop >= 0.5) | (rng.uniform(0, 1, k) < settings["dark_ink"])
    value = np.clip(np.where(darker, backdrop - gap, backdrop + gap), 0.03, 1.0)
    colour = draw.hsv_to_rgb(_uniform(rng, k, 0, 1), _uniform(rng, k, 0.3, 1), value)
    colour += (base[chosen] - colour) * settings["camouflage"]
    draw.paint(image, chosen, index, colour, coverage * _uniform(rng, k, *settings["opacity"], 1))
    return coverage, index
