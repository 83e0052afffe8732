"""YOLO detection layout: images with one label file of boxes each.

    logos/
      classes.txt  (or data.yaml / dataset.yaml with names:)   optional
      images/  a.jpg  train/b.png  val/c.png ...
      labels/  a.txt  train/b.txt  val/c.txt ...     (mirrors images/)

Each label line is ``class cx cy w h``, the box centre and size as fractions
(0..1) of the image. Claims a folder holding ``images/`` and ``labels/``
(judged by names only). Classes are ("background", *names); names come from
classes.txt or data.yaml, else "object" (one class id used) or "class0",
"class1", ... An image's label is 0 when it has no box (its label file is
empty or missing: YOLO's convention for background images), else 1 + the
class of its largest box. Boxes are x0, y0, x1, y1 pixels of the image as
fitted to ``size`` x ``size`` by the ``resize`` policy (scaled, letterboxed
or cropped like the pixels, clipped to the picture; a box cropped away
entirely is dropped, and the label follows the boxes that remain).

Every bad label line is listed in ``skipped`` under its label file with the
line number and the reason, and only that line is dropped; unreadable images,
unreadable label files (their image is left out) and label files without an
image are listed there too. Nothing crashes. Decoded images are not cached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cnnstudio.plugin_api import (
    IMAGE_EXTENSIONS,
    RESIZE_POLICIES,
    DatasetError,
    DatasetSpec,
    decode_in_parallel,
    folder_dataset_id,
    folder_options,
    hookimpl,
    private_module,
    resolve_folder_size,
)

# Asked before the generic class-folder layout (100), which would misread
# images/ and labels/ as two classes.
PLUGIN_PRIORITY = 60

LAYOUT = "YOLO: images/ and labels/<name>.txt with 'class cx cy w h' lines, optional classes.txt or data.yaml"
BACKGROUND = "background"


@hookimpl
def cnnstudio_open_folder(path: Path) -> DatasetSpec | None:
    """A DatasetSpec for a YOLO images/ + labels/ folder, or None if it is not one."""
    path = Path(path)
    if not ((path / "images").is_dir() and (path / "labels").is_dir()):
        return None
    named = private_module(__file__, "_yolo_labels").read_class_names(path)
    names = named[0] if named else ["object"]
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=(
            f"Object boxes in {path}, YOLO layout: images in images/ (sub-folders such as train/ "
            f"and val/ allowed), one labels/<name>.txt per image with a 'class cx cy w h' line per "
            f"box (normalised 0..1), class names in classes.txt or data.yaml. Classes: {shown}."
        ),
        task="detection",
        default_head="boxes",
        class_names=(BACKGROUND, *names),
        options=folder_options(),
        load=lambda options: load_yolo(
            path, resolve_folder_size(options["size"], path / "images", str(options["resize"])), str(options["resize"])
        ),
    )


def _files(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    """Non-hidden files under ``folder`` ending in ``extensions``, as paths relative to it, sorted."""
    found: list[Path] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend((Path(current) / name).relative_to(folder) for name in files
                     if not name.startswith(".") and name.lower().endswith(extensions))
    return sorted(found, key=lambda p: p.as_posix())


def load_yolo(root: Path, size: int = 64, policy: str = "pad") -> Any:
    """Load a YOLO images/ + labels/ folder into an ImageSet (see the module docstring)."""
    import torch

    from cnnstudio.plugin_api import ImageSet, SkippedFile

    root = Path(root)
    if not (root / "images").is_dir():
        raise DatasetError(f"{root}: no images/ folder (expected images/ and labels/)")
    if policy not in RESIZE_POLICIES:
        raise DatasetError(f"{root}: resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    labels_module = private_module(__file__, "_yolo_labels")
    named = labels_module.read_class_names(root)
    num_named = len(named[0]) if named else None
    skipped: list[Any] = []

    images = _files(root / "images", IMAGE_EXTENSIONS)
    stems = {image.with_suffix("").as_posix() for image in images}
    for label in _files(root / "labels", (".txt",)):
        if label.with_suffix("").as_posix() not in stems and label.as_posix() != "classes.txt":
            skipped.append(SkippedFile(str(root / "labels" / label),
                                       f"label file without an image (no images/{label.with_suffix('')}.* found)"))

    items = []  # (image file, its valid LabelBoxes)
    for image in images:
        label_path = root / "labels" / image.with_suffix(".txt")
        parsed = _read_labels(label_path, num_named, named[1] if named else "", labels_module)
        if isinstance(parsed, str):
            skipped.append(SkippedFile(str(root / "images" / image), parsed))
            continue
        skipped.extend(SkippedFile(str(label_path), problem) for problem in parsed.problems)
        items.append((root / "images" / image, parsed.boxes))

    decoded = decode_in_parallel(items, lambda item: _decode(item[0], item[1], size, policy))

    kept_images, boxes, labels, sources = [], [], [], []
    for (image_path, _), result in zip(items, decoded):
        if isinstance(result, str):
            skipped.append(SkippedFile(str(image_path), result))
            continue
        image, image_boxes, label = result
        kept_images.append(image)
        boxes.append(image_boxes)
        labels.append(label)
        sources.append(str(image_path))
    if not kept_images:
        raise DatasetError(f"{root}: no readable images in images/" + (" (see the skipped files)" if skipped else ""))
    if not any(labels):
        raise DatasetError(f"{root}: no image has a usable box in labels/ (lines 'class cx cy w h', normalised 0..1)")

    names = named[0] if named else _generic_names(max(labels))
    return ImageSet(
        images=torch.stack(kept_images),  # (N, 3, size, size) uint8
        labels=torch.tensor(labels, dtype=torch.int64),
        class_names=[BACKGROUND, *names],
        boxes=boxes,  # one (K_i, 4) float32 per image
        sources=sources,
        skipped=skipped,
        name=root.name,
    )


def _read_labels(label_path: Path, num_classes: int | None, names_source: str, labels_module: Any) -> Any:
    """The parsed label file (no file: no boxes), or why it cannot be read."""
    if not label_path.exists():
        return labels_module.LabelFile()  # YOLO's convention: an image without a label file is background
    try:
        text = label_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return f"its label file {label_path} is not a text file; image left out"
    except OSError as error:
        return f"its label file {label_path} cannot be read ({error.strerror or error}); image left out"
    return labels_module.parse_labels(text, num_classes, names_source)


def _decode(image_path: Path, label_boxes: list[Any], size: int, policy: str) -> Any:
    """(fitted image, (K, 4) float32 boxes, label) or why the image cannot be read."""
    import torch

    from cnnstudio.plugin_api import fit_boxes, fit_image, read_image

    try:
        # Boxes are fractions of the image, so a smaller JPEG draft is fine.
        image = read_image(image_path, draft_size=size)  # (3, H, W) uint8
    except Exception as error:  # noqa: BLE001 - one odd file must not stop the import
        message, prefix = str(error), f"{image_path}: "
        if isinstance(error, DatasetError):
            return message[len(prefix):] if message.startswith(prefix) else message
        return f"not a readable image (cannot decode: {type(error).__name__}: {message})"
    height, width = int(image.shape[1]), int(image.shape[2])
    pixel_boxes = torch.tensor(
        [[(b.cx - b.w / 2) * width, (b.cy - b.h / 2) * height, (b.cx + b.w / 2) * width, (b.cy + b.h / 2) * height]
         for b in label_boxes], dtype=torch.float32).reshape(-1, 4)
    fitted, kept = fit_boxes(pixel_boxes, height, width, size, policy)  # (K', 4) float32
    label = 0
    if len(fitted):
        classes = [b.class_id for b, keep in zip(label_boxes, kept.tolist()) if keep]
        areas = (fitted[:, 2] - fitted[:, 0]) * (fitted[:, 3] - fitted[:, 1])
        label = 1 + classes[int(areas.argmax())]
    return fit_image(image, size, policy), fitted, label


def _generic_names(highest_label: int) -> list[str]:
    """Names when no classes.txt or data.yaml exists: "object" for one class, else class0.. classK."""
    count = highest_label  # labels are 1 + class id
    return ["object"] if count == 1 else [f"class{i}" for i in range(count)]
