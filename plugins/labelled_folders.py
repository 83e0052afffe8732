"""Built-in folder layout: a folder labelled in the Label tab, and a flat folder not labelled yet.

    my_photos/
      cnnstudio-labels.json     (written by the Label tab: every image's label)
      a.jpg  b.jpg  shelf/c.jpg ...

A folder with a label file trains on the labels it holds, whatever its
layout (the file wins over class sub-folders, images/ + labels/ or
train/good/): classes train a classifier, boxes a detector, masks a defect
model. Only labelled images are used; unlabelled, skipped and unsure ones
are left out.

A flat folder (images at its top level, none in a sub-folder, no label file)
is claimed too, so that opening it says what to do: label the images in the
Label tab, or sort them into class sub-folders. Loading it raises that as a
NeedsLabelsError (a DatasetError). Judged by names only; nothing is decoded until loading.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cnnstudio.plugin_api import (
    IMAGE_EXTENSIONS,
    DatasetSpec,
    NeedsLabelsError,
    folder_dataset_id,
    folder_options,
    hookimpl,
)

# Asked before every other layout (YOLO and MVTec-AD 60, class folders 100): the label file wins.
PLUGIN_PRIORITY = 40

LAYOUT = "Labelled in the Label tab: any folder with cnnstudio-labels.json"
TASK_OF_KIND = {"classes": "classification", "boxes": "detection", "masks": "defect"}
HEAD_OF_TASK = {"classification": "classification", "detection": "boxes", "defect": "defect_map"}
KIND_WORDS = {"classes": "one class per image", "boxes": "boxes around objects", "masks": "painted defect masks"}
_SUBFOLDER_ENTRY_BUDGET = 400  # entries looked at in sub-folders before deciding a folder is flat


@hookimpl
def cnnstudio_open_folder(path: Path) -> DatasetSpec | None:
    """A spec for a labelled folder or a flat unlabelled one, else None."""
    # Imported here, not at the top: registering the plugin must not load numpy (nor torch).
    from cnnstudio.plugin_api import LABEL_FILE_NAME

    path = Path(path)
    if (path / LABEL_FILE_NAME).is_file():
        return _labelled(path)
    count = _flat_image_count(path)
    return _unlabelled(path, count) if count else None


def _labelled(path: Path) -> DatasetSpec:
    from cnnstudio.plugin_api import labelled_folder_summary

    summary = labelled_folder_summary(path)
    task = TASK_OF_KIND[summary.kind]
    named = [name for name in summary.class_names if name != "background"]
    shown = ", ".join(named[:6]) + (", ..." if len(named) > 6 else "") if named else "none yet"
    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=(
            f"Your images in {path}, labelled in the Label tab ({KIND_WORDS[summary.kind]}): "
            f"{summary.counted} of {summary.images} images labelled; only those train. Classes: {shown}."
        ),
        task=task,
        default_head=HEAD_OF_TASK[task],
        class_names=summary.class_names,
        options=folder_options(),
        load=lambda options: _load(path, options),
    )


def _load(path: Path, options: dict[str, Any]) -> Any:
    from cnnstudio.plugin_api import import_labelled_folder, resolve_folder_size

    policy = str(options["resize"])
    return import_labelled_folder(path, size=resolve_folder_size(options["size"], path, policy), policy=policy)


def _unlabelled(path: Path, count: int) -> DatasetSpec:
    message = (f"{path} holds {count} images and no labels yet: label them in the Label tab (at least two "
               f"classes), or sort them into one sub-folder per class")

    def load(options: dict[str, Any]) -> Any:
        raise NeedsLabelsError(message)

    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=f"Your images in {path}: {count} images and no labels yet. Label them in the Label tab to train.",
        task="classification",
        options=folder_options(),
        load=load,
    )


def _flat_image_count(path: Path) -> int:
    """How many images lie at ``path``'s top level when no sub-folder holds one (0 otherwise)."""
    from cnnstudio.plugin_api import EXPORT_PREFIX

    try:
        with os.scandir(path) as entries:
            listed = list(entries)
    except OSError:
        return 0
    count = sum(1 for entry in listed if _is_image(entry.name) and entry.is_file())
    if not count:
        return 0
    budget = _SUBFOLDER_ENTRY_BUDGET
    for entry in listed:
        if entry.is_dir() and not entry.name.startswith(".") and not entry.name.startswith(EXPORT_PREFIX):
            for _folder, dirs, files in os.walk(entry.path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                if any(_is_image(name) for name in files):
                    return 0
                budget -= len(files) + len(dirs)
                if budget <= 0:
                    return 0  # too much to look through: not a flat folder of photos
    return count


def _is_image(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
