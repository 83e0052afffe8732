"""Built-in folder layout: the user's own images, one sub-folder per class.

    my_photos/
      apples/   1.jpg 2.png ...
      pears/    3.jpg ...

Claims a folder when at least one of its sub-folders holds image files,
judging by file names only (a few hundred directory entries at most), and
leaves MVTec-AD style (train/good, test/...) and YOLO style (images/,
labels/) folders to the plugins that understand them. Nothing is decoded
until the dataset is loaded.

A folder with one class sub-folder only (``good/``, say: the parts that
passed, with no defect to show) cannot train a classifier; it opens as a
defect dataset instead, and loads with one synthetic defect painted on a
copy of each image (plugins/_synthetic_anomalies.py), so the defect-map head
learns to find what differs from the good images.

A folder of classes offers ``in_memory_limit_mb``: above it the decoded
images stay in a memory-mapped file in the cache folder instead of memory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cnnstudio.plugin_api import (
    IMAGE_EXTENSIONS,
    DatasetSpec,
    class_order,
    folder_dataset_id,
    folder_options,
    hookimpl,
    in_memory_limit_option,
    private_module,
)

# Claims any folder of class sub-folders, so it is asked after specialised layouts.
PLUGIN_PRIORITY = 100

_ENTRY_BUDGET = 400  # directory entries looked at in total before deciding
_ENTRIES_PER_FOLDER = 60


@hookimpl
def cnnstudio_open_folder(path: Path) -> DatasetSpec | None:
    """A DatasetSpec for a folder of class sub-folders, or None if it is not one."""
    path = Path(path)
    if not path.is_dir():
        return None
    try:
        subfolders = sorted(
            (entry.name for entry in os.scandir(path) if entry.is_dir() and not entry.name.startswith(".")),
            key=class_order,  # a normal class ("ok", "good", ...) first, as the import orders them
        )
    except OSError:
        return None
    names = set(subfolders)
    if {"train", "test"} <= names and (path / "train" / "good").is_dir():
        return None  # MVTec-AD layout
    if {"images", "labels"} <= names:
        return None  # YOLO layout
    class_names = _classes_with_images(path, subfolders)
    if not class_names:
        return None
    if len(class_names) == 1:
        return _good_images_only(path, class_names[0])
    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=(
            f"Your images in {path}, one sub-folder per class "
            f"({', '.join(class_names[:6])}{', ...' if len(class_names) > 6 else ''})."
        ),
        task="classification",
        class_names=tuple(class_names),
        options=folder_options() + (in_memory_limit_option(),),
        load=lambda options: _load(path, options),
    )


def _good_images_only(path: Path, name: str) -> DatasetSpec:
    """The spec of a folder with one class of (good) images: an anomaly model on synthetic defects."""
    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=(
            f"Your images in {path}: one class sub-folder only ({name}), so they are taken as the good "
            f"ones. A copy of each gets a synthetic defect (a thin scar or a patch of other texture), "
            f"and the model learns to find and mark what differs. Add a second sub-folder to train a "
            f"classifier instead."
        ),
        task="defect",
        default_head="defect_map",
        class_names=(name, "defect"),
        options=folder_options(),
        load=lambda options: _load_good_only(path, name, options),
    )


def _load_good_only(path: Path, name: str, options: dict[str, Any]) -> Any:
    import dataclasses

    from cnnstudio.plugin_api import import_class_folders, resolve_folder_size

    policy = str(options["resize"])
    good = import_class_folders(path, size=resolve_folder_size(options["size"], path, policy), policy=policy,
                                min_classes=1)
    good = dataclasses.replace(good, class_names=[name, "defect"])
    return private_module(__file__, "_synthetic_anomalies").with_synthetic_defects(good)


def _load(path: Path, options: dict[str, Any]) -> Any:
    from cnnstudio.plugin_api import import_class_folders, resolve_folder_size

    policy = str(options["resize"])
    return import_class_folders(path, size=resolve_folder_size(options["size"], path, policy), policy=policy,
                                in_memory_limit_mb=options["in_memory_limit_mb"])


def _classes_with_images(path: Path, subfolders: list[str]) -> list[str]:
    """Sub-folders holding an image file (directly or one level down), by name only.

    Once the entry budget is spent the remaining sub-folders are assumed to
    be classes; the import itself reports any that turn out empty.
    """
    budget = _ENTRY_BUDGET
    classes = []
    for name in subfolders:
        if budget <= 0:
            classes.append(name)
            continue
        found, budget = _has_images(path / name, budget, depth=1)
        if found:
            classes.append(name)
    return classes


def _has_images(folder: Path, budget: int, depth: int) -> tuple[bool, int]:
    nested = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= _ENTRIES_PER_FOLDER or budget <= 0:
                    break
                budget -= 1
                if entry.name.startswith("."):
                    continue
                if entry.name.lower().endswith(IMAGE_EXTENSIONS) and entry.is_file():
                    return True, budget
                if depth > 0 and entry.is_dir():
                    nested.append(Path(entry.path))
    except OSError:
        return False, budget
    for sub in nested:
        found, budget = _has_images(sub, budget, depth - 1)
        if found:
            return True, budget
    return False, budget
