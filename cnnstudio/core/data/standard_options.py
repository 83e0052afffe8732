"""The options every generated dataset offers, so they look alike everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnstudio.core.data.auto_size import AUTO, AUTO_SIZE_CAP, auto_image_size, image_files, parse_size
from cnnstudio.core.specs import DatasetOption

DIFFICULTIES = ("easy", "normal", "hard")
SIZE_HELP = ("images are resized to this width and height in pixels as they load "
             "(model.input_size resizes them again for the model)")


def standard_options(count: int = 2000, size: int = 64, difficulty: str = "normal") -> tuple[DatasetOption, ...]:
    """``count``, ``size``, ``seed`` and ``difficulty`` with the given defaults."""
    return (
        DatasetOption("count", count, "number of images to generate", minimum=10, maximum=200_000),
        DatasetOption("size", size, SIZE_HELP, minimum=16, maximum=512),
        DatasetOption("seed", 0, "generator seed: same seed, same images", minimum=0),
        DatasetOption("difficulty", difficulty, "how hard the task is", choices=DIFFICULTIES),
    )


# The file types and resize policies of every image import. Defined here, not in
# image_io, so plugins can use them without importing torch.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
RESIZE_POLICIES = ("pad", "stretch", "crop")


FOLDER_SIZE_HELP = (f"images are resized to this width and height in pixels as they load; \"{AUTO}\" keeps "
                    f"their own size (the median image side, at most {AUTO_SIZE_CAP} px) so fine detail survives "
                    f"(model.input_size resizes them again for the model)")


@dataclass(frozen=True)
class FolderSizeOption(DatasetOption):
    """The ``size`` of a folder import: ``"auto"`` (the images' own size, capped) or pixels."""

    def validate(self, value: Any, dataset_id: str) -> Any:
        return parse_size(value, dataset_id)


def folder_options(size: int | str = AUTO) -> tuple[DatasetOption, ...]:
    """``size`` ("auto" or pixels) and ``resize`` (pad, stretch or crop): the options of every folder import.

    Loaders turn the size into pixels with ``resolve_folder_size``.
    """
    return (
        FolderSizeOption("size", size, FOLDER_SIZE_HELP),
        DatasetOption(
            "resize", "pad",
            "how non-square images become square: pad (letterbox), stretch, or crop (centre)",
            choices=RESIZE_POLICIES,
        ),
    )


def resolve_folder_size(value: Any, folder: Path, policy: str = "pad") -> int:
    """The size in pixels a folder import loads at: ``value`` itself, or for ``"auto"`` its images' own size."""
    size = parse_size(value, str(folder))
    if size != AUTO:
        return int(size)
    return auto_image_size(image_files(Path(folder), IMAGE_EXTENSIONS), policy)
