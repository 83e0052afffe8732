"""The options every generated dataset offers, so they look alike everywhere."""

from __future__ import annotations

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


def folder_options(size: int = 64) -> tuple[DatasetOption, ...]:
    """``size`` and ``resize`` (pad, stretch or crop): the options of every folder import."""
    return (
        DatasetOption("size", size, SIZE_HELP, minimum=16, maximum=512),
        DatasetOption(
            "resize", "pad",
            "how non-square images become square: pad (letterbox), stretch, or crop (centre)",
            choices=RESIZE_POLICIES,
        ),
    )
