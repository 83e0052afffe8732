"""The ``size = "auto"`` of folder imports: load images at their own size, up to a cap.

A 2 px scratch on a 128 px photo is half a pixel once shrunk to 64 px, so a
folder is loaded at the median side of its images (capped at ``AUTO_SIZE_CAP``)
unless the person chooses a size. Only file headers are read, never pixels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ConfigError

AUTO = "auto"
AUTO_SIZE_CAP = 256  # px: larger images are shrunk to this (memory and time grow with the square of it)
AUTO_SIZE_MIN = 16
SIZE_LIMITS = (16, 512)  # a size the person types
_SAMPLED_FILES = 200  # headers read at most, spread evenly over the sorted files


def parse_size(value: Any, dataset_id: str = "") -> int | str:
    """``"auto"`` or a whole number of pixels within SIZE_LIMITS; ConfigError naming the option otherwise."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    low, high = SIZE_LIMITS
    where = f" for {dataset_id}" if dataset_id else ""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if not number.is_integer():
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"dataset.options.size{where} must be \"auto\" or a whole number of pixels "
                          f"({low}..{high}), got {value!r}") from None
    size = int(number)
    if not low <= size <= high:
        raise ConfigError(f"dataset.options.size{where} must be \"auto\" or {low}..{high} pixels, got {size}")
    return size


def image_files(folder: Path, extensions: Sequence[str]) -> list[Path]:
    """The image-named, non-hidden files under ``folder`` (sub-folders too), sorted."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found.extend(Path(root) / name for name in sorted(files)
                     if not name.startswith(".") and name.lower().endswith(tuple(extensions)))
    return found


def auto_image_size(files: Sequence[Path], policy: str = "pad", cap: int = AUTO_SIZE_CAP) -> int:
    """The side that keeps most of ``files`` at their own scale: the median of each image's fitted side
    (its longer side, or its shorter one for the crop policy), between AUTO_SIZE_MIN and ``cap``.

    Unreadable files are passed over (the import names them); with none readable, ``cap``.
    """
    from PIL import Image

    step = max(1, len(files) // _SAMPLED_FILES)
    sides: list[int] = []
    for path in list(files)[::step][:_SAMPLED_FILES]:
        try:
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
        except Exception:  # noqa: BLE001 - one odd file must not stop the import
            continue
        sides.append(min(width, height) if policy == "crop" else max(width, height))
    if not sides:
        return cap
    sides.sort()
    return max(AUTO_SIZE_MIN, min(cap, sides[len(sides) // 2]))
