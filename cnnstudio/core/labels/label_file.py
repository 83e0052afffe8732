"""The label file: every label of a folder in one JSON file inside it, ``cnnstudio-labels.json``.

It never moves or changes an image; the folder importer reads it (so a
labelled flat folder trains as it is), and the Label tab reopens exactly what
was saved. Written atomically: a crash mid-save leaves the previous file.

    {
      "format": "cnnstudio-labels", "version": 1,
      "kind": "boxes",                       # classes | boxes | masks
      "label_kind": "boxes",                 # the tool that made it (a plugin's label kind id, or the kind)
      "classes": [{"name": "logo", "colour": "#e6194b"}],
      "images": {
        "shelf/a.jpg": {"status": "labelled", "class": "cat"},
        "b.jpg": {"status": "labelled", "boxes": [[12.0, 30.5, 80.0, 66.0, "logo"]]},
        "c.png": {"status": "labelled", "class": "scratch",
                  "mask": {"size": [480, 640], "counts": [1200, 4, 636, 6]}},
        "d.jpg": {"status": "skip"},
        "e.jpg": {"status": "labelled", "class": "cat", "suggested": true, "score": 0.48}
      }
    }

Image keys are paths relative to the folder with forward slashes. Boxes are
``[x0, y0, x1, y1, class]`` in pixels of the original image. A mask is
run-length encoded in row-major order: ``counts`` alternate runs of 0 and 1
pixels, starting with 0 (a mask starting with a defect pixel starts with a 0
count); ``size`` is ``[height, width]`` of the image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.core.atomic import atomic_write_text
from cnnstudio.core.errors import DatasetError
from cnnstudio.core.labels.label_set import KINDS, STATUSES, Box, ImageLabel, LabelClass, LabelSet

LABEL_FILE_NAME = "cnnstudio-labels.json"
FORMAT = "cnnstudio-labels"
VERSION = 1


def label_file_path(root: Path) -> Path:
    return Path(root) / LABEL_FILE_NAME


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Row-major run lengths of a 0/1 mask, starting with a run of zeros."""
    flat = (np.asarray(mask).reshape(-1) > 0).astype(np.int8)
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts.insert(0, 0)
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in counts]}


def decode_mask(encoded: Any, where: str) -> np.ndarray:
    """The (H, W) uint8 mask back from ``encode_mask``'s dict; DatasetError naming ``where`` if malformed."""
    try:
        height, width = (int(v) for v in encoded["size"])
        counts = [int(c) for c in encoded["counts"]]
    except (KeyError, TypeError, ValueError):
        raise DatasetError(f"{where}: a mask needs \"size\": [height, width] and \"counts\": [runs...]") from None
    if height <= 0 or width <= 0 or any(c < 0 for c in counts) or sum(counts) != height * width:
        raise DatasetError(f"{where}: the mask's runs add up to {sum(counts)} pixels, its size "
                           f"{height} x {width} needs {height * width}")
    values = np.arange(len(counts)) % 2
    return np.repeat(values.astype(np.uint8), counts).reshape(height, width)


def label_to_json(label: ImageLabel) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": label.status}
    if label.class_name is not None:
        entry["class"] = label.class_name
    if label.boxes:
        entry["boxes"] = [[round(b.x0, 2), round(b.y0, 2), round(b.x1, 2), round(b.y1, 2), b.class_name]
                          for b in label.boxes]
    if label.mask is not None and label.mask.any():
        entry["mask"] = encode_mask(label.mask)
    if label.suggested:
        entry["suggested"] = True
    if label.score is not None:
        entry["score"] = round(float(label.score), 4)
    return entry


def label_from_json(entry: Any, where: str) -> ImageLabel:
    if not isinstance(entry, dict):
        raise DatasetError(f"{where}: expected an object like {{\"status\": \"labelled\", \"class\": \"cat\"}}")
    status = entry.get("status", "labelled")
    if status not in STATUSES:
        raise DatasetError(f"{where}: status must be one of {', '.join(STATUSES)}, got {status!r}")
    class_name = entry.get("class")
    if class_name is not None and not isinstance(class_name, str):
        raise DatasetError(f"{where}: \"class\" must be a class name, got {class_name!r}")
    boxes = []
    for number, raw in enumerate(entry.get("boxes", []), start=1):
        try:
            x0, y0, x1, y1, name = raw
            boxes.append(Box(float(x0), float(y0), float(x1), float(y1), str(name)).normalised())
        except (TypeError, ValueError):
            raise DatasetError(f"{where}: box {number} must be [x0, y0, x1, y1, class], got {raw!r}") from None
    mask = decode_mask(entry["mask"], f"{where} mask") if "mask" in entry else None
    score = entry.get("score")
    return ImageLabel(status=status, class_name=class_name, boxes=tuple(boxes), mask=mask,
                      suggested=bool(entry.get("suggested", False)),
                      score=float(score) if isinstance(score, (int, float)) else None)


def labels_to_json(labels: LabelSet) -> dict[str, Any]:
    return {
        "format": FORMAT, "version": VERSION, "kind": labels.kind, "label_kind": labels.label_kind,
        "classes": [{"name": c.name, "colour": c.colour} for c in labels.classes],
        "images": {key: label_to_json(label) for key, label in sorted(labels.labels.items())},
    }


def write_label_file(labels: LabelSet, path: Path | None = None) -> Path:
    """Write every label atomically to ``path`` (default: the folder's label file); returns where.

    Raises OSError (the file named) when the folder cannot be written.
    """
    path = Path(path) if path is not None else label_file_path(labels.root)
    atomic_write_text(path, json.dumps(labels_to_json(labels), indent=1, ensure_ascii=False) + "\n")
    return path


def read_label_json(path: Path) -> dict[str, Any]:
    """The label file's JSON, checked to be a label file with a known kind; DatasetError naming the file if not."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot read the label file ({getattr(error, 'strerror', None) or error})") from None
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DatasetError(f"{path}: not a CNN Studio label file (\"format\" must be {FORMAT!r})")
    if data.get("kind") not in KINDS:
        raise DatasetError(f"{path}: \"kind\" must be one of {', '.join(KINDS)}, got {data.get('kind')!r}")
    return data


def read_label_file(root: Path, images: list[str], path: Path | None = None) -> LabelSet | None:
    """The labels saved in ``root``'s label file for these ``images``, or None when there is no file.

    Labels of images no longer in the folder are kept (saved again), but not shown or trained on.
    Raises DatasetError naming the file and the field when the file is not a label file.
    """
    path = Path(path) if path is not None else label_file_path(root)
    if not path.is_file():
        return None
    data = read_label_json(path)
    kind = data["kind"]
    classes = []
    for number, raw in enumerate(data.get("classes", []), start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise DatasetError(f"{path}: classes[{number}] must be {{\"name\": ..., \"colour\": \"#rrggbb\"}}")
        classes.append(LabelClass(raw["name"], str(raw.get("colour") or "#808080")))
    entries = data.get("images", {})
    if not isinstance(entries, dict):
        raise DatasetError(f"{path}: \"images\" must map image paths to labels")
    labels = {key: label_from_json(entry, f"{path}: images[{key!r}]") for key, entry in entries.items()}
    made = LabelSet(root, kind, classes, images, labels, label_kind=str(data.get("label_kind") or kind))
    for label in labels.values():  # a class used but not listed (a hand-edited file) is added, not lost
        for name in [label.class_name, *(b.class_name for b in label.boxes)]:
            if name is not None and name not in made.class_names:
                made.add_class(name)
    return made
