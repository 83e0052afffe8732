"""Small real image folders (PNG and JPEG written with Pillow) and label sets on them, for the label tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cnnstudio.core.labels.label_set import Box, ImageLabel, LabelSet


def save_image(path: Path, width: int, height: int, seed: int = 0, fmt: str | None = None,
               exif_orientation: int | None = None) -> Path:
    """A noisy RGB image of ``width`` x ``height`` (as stored) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(60, 200, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(path, format=fmt or "JPEG", exif=exif)
    else:
        image.save(path, format=fmt)
    return path


def flat_folder(root: Path, names: list[str], size: tuple[int, int] = (40, 30)) -> list[str]:
    """Images named ``names`` (relative paths, sub-folders allowed) under ``root``; returns the names."""
    for seed, name in enumerate(names):
        save_image(root / name, size[0] + seed % 3 * 4, size[1], seed=seed)
    return sorted(names)


def labelled(status: str = "labelled", **fields) -> ImageLabel:
    return ImageLabel(status=status, **fields)


def box_label(*boxes: tuple[float, float, float, float, str]) -> ImageLabel:
    return ImageLabel(status="labelled", boxes=tuple(Box(*box) for box in boxes))


def mask_label(class_name: str, shape: tuple[int, int], region: tuple[int, int, int, int] | None) -> ImageLabel:
    """A mask label of ``shape`` (H, W) with ``region`` (x0, y0, x1, y1) painted, or a good one when None."""
    if region is None:
        return ImageLabel(status="labelled", class_name=class_name)
    mask = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = region
    mask[y0:y1, x0:x1] = 1
    return ImageLabel(status="labelled", class_name=class_name, mask=mask)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under ``root`` (to prove originals are untouched)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def class_set(root: Path, by_image: dict[str, str | None], classes: list[str]) -> LabelSet:
    """A classes LabelSet over ``by_image``'s images, each labelled with its class (None: unlabelled)."""
    labels = LabelSet.empty(root, "classes", classes, sorted(by_image))
    for key, name in by_image.items():
        if name is not None:
            labels.set(ImageLabel(status="labelled", class_name=name), key)
    return labels


def crash_sets(root: Path) -> tuple[LabelSet, LabelSet]:
    """Two different, large mask label sets over the same 32 images (noisy masks: long run-length lists)."""
    images = [f"part_{i:02d}.png" for i in range(32)]
    made = []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        labels = LabelSet.empty(root, "masks", ["scratch", "dent"], images)
        for i, key in enumerate(images):
            mask = (rng.random((160, 200)) < 0.3).astype(np.uint8)
            labels.set(ImageLabel(status="labelled", class_name=("scratch", "dent")[(i + seed) % 2], mask=mask,
                                  boxes=(Box(i, seed, i + 10.5, seed + 20.25, "scratch"),)), key)
        made.append(labels)
    return made[0], made[1]


def write_alternately(root: str) -> None:
    """Write the two ``crash_sets`` to ``root``'s label file, one after the other, until killed."""
    import sys

    from cnnstudio.core.labels.label_file import write_label_file

    first, second = crash_sets(Path(root))
    write_label_file(first)
    print("ready", flush=True)
    while True:
        write_label_file(second)
        write_label_file(first)
        sys.stdout.flush()
