"""What a folder labelled in the Label tab holds, from its label file alone: cheap enough to run on opening.

Reads only the JSON and lists file names: no image, no mask is decoded, and
neither torch nor the decoders are imported (``labelled_import`` trains on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from cnnstudio.core.errors import DatasetError
from cnnstudio.core.labels.folder_images import list_folder_images
from cnnstudio.core.labels.label_file import label_file_path, read_label_json
from cnnstudio.core.labels.label_set import GOOD_CLASS
from cnnstudio.core.specs import class_order

BACKGROUND = "background"  # class 0 of a box-labelled folder, as in the YOLO import
DEFECT_CLASSES = (GOOD_CLASS, "defect")


class LabelledSummary(NamedTuple):
    """What a labelled folder holds, without decoding any image or mask."""

    kind: str
    class_names: tuple[str, ...]
    counted: int  # images whose label counts for training
    images: int  # images in the folder


def labelled_folder_summary(root: Path) -> LabelledSummary:
    """The kind, the classes training will use, and how many images are labelled, from the label file alone.

    Raises DatasetError naming the file when it is missing or not a label file.
    """
    root = Path(root)
    path = label_file_path(root)
    data = read_label_json(path)
    kind = data["kind"]
    entries = data.get("images")
    if not isinstance(entries, dict):
        raise DatasetError(f"{path}: \"images\" must map image paths to labels")
    images = set(list_folder_images(root))
    counted = {key: entry for key, entry in entries.items() if key in images and isinstance(entry, dict)
               and entry.get("status", "labelled") == "labelled" and not entry.get("suggested")}
    listed = [raw["name"] for raw in data.get("classes", []) if isinstance(raw, dict) and isinstance(raw.get("name"), str)]
    if kind == "boxes":
        names: tuple[str, ...] = (BACKGROUND, *listed)
    elif kind == "masks":
        names = DEFECT_CLASSES
    else:
        used = {str(entry["class"]) for entry in counted.values() if isinstance(entry.get("class"), str)}
        names = tuple(sorted(used, key=class_order))
    return LabelledSummary(kind, names, len(counted), len(images))
