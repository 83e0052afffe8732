"""The options every generated dataset offers, so they look alike everywhere."""

from __future__ import annotations

from cnnstudio.specs import DatasetOption

DIFFICULTIES = ("easy", "normal", "hard")


def standard_options(count: int = 2000, size: int = 64, difficulty: str = "normal") -> tuple[DatasetOption, ...]:
    """``count``, ``size``, ``seed`` and ``difficulty`` with the given defaults."""
    return (
        DatasetOption("count", count, "number of images to generate", minimum=10, maximum=200_000),
        DatasetOption("size", size, "image width and height in pixels", minimum=16, maximum=512),
        DatasetOption("seed", 0, "generator seed: same seed, same images", minimum=0),
        DatasetOption("difficulty", difficulty, "how hard the task is", choices=DIFFICULTIES),
    )
