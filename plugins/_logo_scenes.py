"""Scenes with several logos: 0 to ``most_logos`` copies of the brand's emblem, of several sizes, among look-alikes.

The same drawing as ``marketing.logos`` (plugins/logos.py: backdrop,
emblems, occluders, camera), but a scene holds any number of logos, each
with its own tight box, at sizes from a small badge to a large sign, and
look-alike emblems beside them. Scenes are drawn in chunks, each with its
own random stream, so results depend only on the options.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnstudio.plugin_api import private_module

# Emblem ring radius, as a share of the half frame: 14-38 px wide at 128 px.
RADIUS = (0.11, 0.3)
PLACE_TRIES = 8
CHUNK_PIXELS = 2**19


def generate_scenes(options: dict[str, Any], dataset_id: str, class_names: tuple[str, ...]) -> Any:
    """The ImageSet of resolved ``options``: label 1 and one box per logo where a scene holds any."""
    import torch

    from cnnstudio.plugin_api import ImageSet

    logos = private_module(__file__, "logos")
    count, size, seed = int(options["count"]), int(options["size"]), int(options["seed"])
    settings = logos.DIFFICULTY[options.get("difficulty", "normal")]
    most_logos, most_marks = int(options["most_logos"]), int(options["distractors"])
    images = np.empty((count, 3, size, size), dtype=np.uint8)
    boxes: list[Any] = []
    chunk = max(1, CHUNK_PIXELS // (size * size))
    for index, start in enumerate(range(0, count, chunk)):
        rng = np.random.default_rng([seed, 2, index])
        n = min(chunk, count - start)
        images[start:start + n], chunk_boxes = _render(logos, rng, n, size, settings, most_logos, most_marks)
        boxes.extend(chunk_boxes)
    labels = np.array([int(len(b) > 0) for b in boxes], dtype=np.int64)
    return ImageSet(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels),
        class_names=list(class_names),
        boxes=[torch.from_numpy(b) for b in boxes],
        sources=[f"{dataset_id}#{i}" for i in range(count)],
        name=dataset_id,
    )


def _render(logos: Any, rng: Any, n: int, size: int, settings: dict[str, Any], most_logos: int,
            most_marks: int) -> tuple[Any, list[Any]]:
    """n scenes (n, 3, size, size) uint8 and each one's logo boxes (K, 4) float32."""
    draw = private_module(__file__, "_logo_drawing")
    image, base = logos._backdrop(draw, rng, n, size, settings)
    logo_count = rng.integers(0, most_logos + 1, n)
    mark_count = rng.integers(0, most_marks + 1, n)
    slots = most_logos + most_marks
    # Slots 0..logo_count-1 hold logos (kind 0), the next mark_count look-alikes (1..), the rest nothing (-1).
    slot = np.arange(slots)[None]
    marks = rng.integers(1, len(settings["marks"]) + 1, (n, slots))
    kinds = np.where(slot < logo_count[:, None], 0, np.where(slot < (logo_count + mark_count)[:, None], marks, -1))
    radii = logos._uniform(rng, n, *RADIUS, slots)
    centres = _places(rng, radii, settings["inside"])
    coverage = np.zeros((n, slots, size * size), dtype=np.float32)
    for position in range(slots - 1, -1, -1):  # look-alikes first, logos last: never hidden by them
        for kind in np.unique(kinds[:, position]):
            if kind < 0:
                continue
            chosen = np.flatnonzero(kinds[:, position] == kind)
            name = "logo" if kind == 0 else settings["marks"][kind - 1]
            drawn, index = logos._draw_emblem(draw, rng, image, chosen, name, size, settings, base,
                                              centres[chosen, position], radii[chosen, position])
            if kind == 0:
                coverage[chosen[:, None], position, index] = drawn
    for position in range(slots):
        draw.occlude(rng, image, size, settings["occlude"], kinds[:, position] >= 0, centres[:, position],
                     radii[:, position])
    all_boxes = draw.boxes_from_alpha(coverage.reshape(n * slots, -1), size).reshape(n, slots, 4)
    boxes = [all_boxes[i, :logo_count[i]].copy() for i in range(n)]
    camera = private_module(__file__, "_camera").camera
    return camera(rng, image, size, settings, exposure_spread=0.08), boxes


def _places(rng: Any, radii: Any, inside: float) -> Any:
    """(n, slots, 2) centres in [-1, 1]: each emblem at the candidate farthest from those already placed."""
    n, slots = radii.shape
    limit = 1.0 - radii * inside  # keeps the emblem (mostly) in frame
    centres = np.zeros((n, slots, 2), dtype=np.float32)
    for position in range(slots):
        candidates = rng.uniform(-1, 1, (n, PLACE_TRIES, 2)).astype(np.float32) * limit[:, position, None, None]
        if position == 0:
            centres[:, 0] = candidates[:, 0]
            continue
        gaps = np.linalg.norm(candidates[:, :, None] - centres[:, None, :position], axis=-1)
        gaps -= radii[:, None, :position] + radii[:, position, None, None]
        best = gaps.min(axis=2).argmax(axis=1)
        centres[:, position] = candidates[np.arange(n), best]
    return centres
