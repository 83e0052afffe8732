"""Which files of a folder the Label tab shows: every image under it, in a stable order.

Layouts that CNN Studio writes from labels (``labelled-*`` sub-folders), the
MVTec-AD ``ground_truth`` masks and hidden folders are not images to label.
Only names are read, never pixels, so listing thousands of photos is quick.
"""

from __future__ import annotations

import os
from pathlib import Path

from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS  # not image_io: listing must not load torch

# Sub-folders the label layouts are written into (see layouts.py); never listed as photos to label.
EXPORT_PREFIX = "labelled-"
NOT_PHOTOS = ("ground_truth",)


def list_folder_images(root: Path) -> list[str]:
    """Every image file under ``root`` as a path relative to it (forward slashes), sorted."""
    root = Path(root)
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (here == root and (d.startswith(EXPORT_PREFIX) or d in NOT_PHOTOS)))
        relative = here.relative_to(root)
        for name in files:
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                found.append((relative / name).as_posix())
    return sorted(found)
