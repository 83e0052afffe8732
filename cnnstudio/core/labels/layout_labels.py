"""Labels a folder already holds in its layout, for the Label tab to start from.

Three layouts are read, the same ones the folder importers read, asked in
the same order:

- YOLO (``images/`` and ``labels/``): kind boxes; each ``labels/<stem>.txt``
  line ``class cx cy w h`` becomes a box in pixels of the original image;
  class names from ``classes.txt`` or the ``names:`` of ``data.yaml``. An
  image with an empty label file is a labelled background image; one
  without a label file is unlabelled (not yet looked at).
- MVTec-AD (``train/good/`` ...): kind masks; ``train/good`` and
  ``test/good`` images are good, ``test/KIND/NNN.*`` images have defect KIND
  with the mask ``ground_truth/KIND/NNN_mask.png`` at the image's size.
- Class folders: an image under a top-level sub-folder gets that sub-folder
  as its class; images loose at the top level stay unlabelled.

A flat folder (no image in any sub-folder) has no layout: None.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image

from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS
from cnnstudio.core.labels.label_set import GOOD_CLASS, Box, ImageLabel, LabelSet, check_class_name
from cnnstudio.core.specs import class_order

YOLO_NAME_FILES = ("classes.txt", "labels/classes.txt", "data.yaml", "dataset.yaml", "data.yml", "dataset.yml")
TURNED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def original_size(path: Path) -> tuple[int, int]:
    """(width, height) of the upright image, read from its header only.

    Applies the EXIF orientation as ``image_io.read_image`` does (a damaged
    EXIF block counts as upright). Raises OSError when Pillow cannot open it.
    """
    with Image.open(path) as image:
        width, height = image.size
        try:
            turned = image.getexif().get(ExifTags.Base.Orientation, 1) in TURNED_ORIENTATIONS
        except Exception:  # noqa: BLE001 - bad EXIF is ignored, as read_image does
            turned = False
    return (height, width) if turned else (width, height)


def labels_from_layout(root: Path, images: list[str]) -> LabelSet | None:
    """The labels ``root``'s layout gives ``images`` (relative posix paths), or None for a flat folder."""
    root = Path(root)
    if (root / "images").is_dir() and (root / "labels").is_dir():
        return _yolo_labels(root, images)
    if (root / "train" / GOOD_CLASS).is_dir():
        return _mvtec_labels(root, images)
    return _class_folder_labels(root, images)


# ---- YOLO -----------------------------------------------------------------------------------------
def _yolo_labels(root: Path, images: list[str]) -> LabelSet:
    names = read_yolo_names(root)
    found: dict[str, list[tuple[int, float, float, float, float]]] = {}
    for key in images:
        if not key.startswith("images/"):
            continue
        text_file = root / "labels" / Path(key[len("images/"):]).with_suffix(".txt")
        try:
            text = text_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # no label file (or an unreadable one): not labelled yet
        found[key] = [line for line in map(_yolo_line, text.splitlines()) if line is not None]
    if names is None:
        highest = max((line[0] for lines in found.values() for line in lines), default=0)
        names = ["object"] if highest == 0 else [f"class{i}" for i in range(highest + 1)]
    labels = LabelSet.empty(root, "boxes", _valid_names(names), images)
    for key, lines in found.items():
        try:
            width, height = original_size(root / key)
        except OSError:
            continue  # the Label tab shows it as unreadable; nothing to place boxes on
        boxes = tuple(
            Box((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height, names[cid])
            for cid, cx, cy, w, h in lines if cid < len(names) and names[cid] in labels.class_names)
        labels.set(ImageLabel(status="labelled", boxes=boxes), key)
    return labels


def _yolo_line(line: str) -> tuple[int, float, float, float, float] | None:
    """A valid ``class cx cy w h`` line, or None (blank or malformed lines are passed over here;
    the YOLO importer names them when training)."""
    parts = line.split()
    if len(parts) != 5:
        return None
    try:
        values = [float(part) for part in parts]
    except ValueError:
        return None
    class_id, cx, cy, w, h = values
    if not all(map(math.isfinite, values)) or class_id < 0 or not class_id.is_integer():
        return None
    if not all(0.0 <= v <= 1.0 for v in (cx, cy, w, h)) or w == 0 or h == 0:
        return None
    return int(class_id), cx, cy, w, h


def read_yolo_names(root: Path) -> list[str] | None:
    """Class names from ``classes.txt`` or a data.yaml ``names:`` entry, or None when no file names them."""
    for relative in YOLO_NAME_FILES:
        path = Path(root) / relative
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        if path.suffix == ".txt":
            names: list[str] | None = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            names = _yaml_names(text)
        if names:
            return names
    return None


def _yaml_names(text: str) -> list[str] | None:
    """``names:`` as a flow list/mapping or a block list/mapping (the forms YOLO tools write)."""
    lines = [re.sub(r"\s+#.*$", "", line).rstrip() for line in text.splitlines()]
    for number, line in enumerate(lines):
        match = re.match(r"names\s*:(.*)$", line)
        if not match:
            continue
        rest = match.group(1).strip()
        if rest.startswith(("[", "{")):
            closing = "]" if rest[0] == "[" else "}"
            for more in lines[number + 1:]:
                if closing in rest:
                    break
                rest += " " + more.strip()
            items = [item.strip() for item in rest[1:rest.rfind(closing)].split(",") if item.strip()]
        else:
            items = []
            for more in lines[number + 1:]:
                if more.strip() and not more[:1].isspace() and not more.startswith("-"):
                    break  # the next top-level key
                if more.strip():
                    items.append(more.strip())
        if all(item.startswith("-") for item in items):
            return [_unquote(item[1:]) for item in items] or None
        pairs = [item.partition(":") for item in items]
        if not all(sep and key.strip().isdigit() for key, sep, _ in pairs):
            return [_unquote(item) for item in items] if rest.startswith("[") else None
        named = {int(key): _unquote(value) for key, _, value in pairs}
        return [named[i] for i in range(len(named))] if sorted(named) == list(range(len(named))) else None
    return None


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _valid_names(names: list[str]) -> list[str]:
    """The names that can be classes (not empty, not a path), each once."""
    kept: list[str] = []
    for name in names:
        try:
            name = check_class_name(name)
        except ValueError:
            continue
        if name not in kept:
            kept.append(name)
    return kept


# ---- MVTec-AD --------------------------------------------------------------------------------------
def _mvtec_labels(root: Path, images: list[str]) -> LabelSet:
    kinds: dict[str, str] = {}
    for key in images:
        parts = key.split("/")
        if len(parts) >= 3 and parts[0] == "train" and parts[1] == GOOD_CLASS:
            kinds[key] = GOOD_CLASS
        elif len(parts) >= 3 and parts[0] == "test":
            kinds[key] = parts[1]
    defect_kinds = sorted({kind for kind in kinds.values() if kind != GOOD_CLASS})
    labels = LabelSet.empty(root, "masks", [GOOD_CLASS, *_valid_names(defect_kinds)], images)
    for key, kind in kinds.items():
        if kind not in labels.class_names:
            continue
        mask = None if kind == GOOD_CLASS else _mvtec_mask(root, kind, key)
        labels.set(ImageLabel(status="labelled", class_name=kind, mask=mask), key)
    return labels


def _mvtec_mask(root: Path, kind: str, key: str) -> np.ndarray | None:
    """The (H, W) 0/1 mask of a defect image, or None when it has none usable (missing, other size)."""
    stem = Path(key).stem
    folder = root / "ground_truth" / kind
    candidates = [folder / f"{stem}_mask{ext}" for ext in IMAGE_EXTENSIONS] + [
        folder / f"{stem}{ext}" for ext in IMAGE_EXTENSIONS]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            with Image.open(path) as image:
                mask = (np.asarray(image.convert("L")) > 0).astype(np.uint8)
            width, height = original_size(root / key)
        except OSError:
            return None
        return mask if mask.shape == (height, width) else None
    return None


# ---- class folders ---------------------------------------------------------------------------------
def _class_folder_labels(root: Path, images: list[str]) -> LabelSet | None:
    by_class: dict[str, list[str]] = {}
    for key in images:
        folder, sep, _ = key.partition("/")
        if sep:
            by_class.setdefault(folder, []).append(key)
    if not by_class:
        return None
    names = sorted(_valid_names(list(by_class)), key=class_order)
    labels = LabelSet.empty(root, "classes", names, images)
    for name in names:
        for key in by_class[name]:
            labels.set(ImageLabel(status="labelled", class_name=name), key)
    return labels
