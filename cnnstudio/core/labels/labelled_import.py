"""Training on a folder labelled in the Label tab: its label file's labels become an ImageSet.

Only the labels that count (status labelled, not a pending suggestion) are
used; unlabelled, skipped and unsure images are left out. Each kind trains
like the layout it matches:

- classes: a classifier over the classes that have images, a normal class
  ("good", "ok", ...) first, then by name (as the class-folder import orders them);
- boxes: detection like the YOLO import: classes ("background", *classes),
  an image's label is 0 without a box, else 1 + the class of its largest box;
- masks: defects like the MVTec-AD import: ("good", "defect"), masks fitted
  with the image (nearest neighbour), good images with all-zero masks.

Images are decoded in parallel and fitted to ``size`` x ``size`` by the
``policy``; unreadable ones are listed in ``skipped`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.data.image_io import (
    RESIZE_POLICIES,
    fit_boxes,
    fit_image,
    fit_mask,
    read_image,
    read_image_and_size,
)
from cnnstudio.core.data.imageset import ImageSet, SkippedFile
from cnnstudio.core.data.parallel_decode import decode_in_parallel
from cnnstudio.core.errors import DatasetError, NeedsLabelsError
from cnnstudio.core.labels.folder_images import list_folder_images
from cnnstudio.core.labels.label_file import LABEL_FILE_NAME, read_label_file
from cnnstudio.core.labels.label_set import GOOD_CLASS, ImageLabel, LabelSet
from cnnstudio.core.labels.labelled_summary import BACKGROUND, DEFECT_CLASSES, LabelledSummary, labelled_folder_summary
from cnnstudio.core.labels.layouts import mask_class
from cnnstudio.core.specs import class_order

__all__ = ["import_labelled_folder", "labelled_folder_summary", "LabelledSummary"]


def import_labelled_folder(
    root: Path, size: int = 64, policy: str = "pad", progress: Callable[[int, int], None] | None = None
) -> ImageSet:
    """The ImageSet of ``root``'s counted labels (see the module docstring).

    Raises DatasetError naming the folder when it has no label file, or too
    few labelled images to train on (with the count of each class).
    """
    root = Path(root).expanduser().absolute()
    if policy not in RESIZE_POLICIES:
        raise DatasetError(f"{root}: resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    labels = read_label_file(root, list_folder_images(root))
    if labels is None:
        raise NeedsLabelsError(f"{root}: no {LABEL_FILE_NAME} here; label the images in the Label tab first")
    counted = labels.counted()
    items = [(key, counted[key]) for key in labels.images if key in counted]
    if labels.kind == "classes":
        return _classification(root, labels, items, size, policy, progress)
    if labels.kind == "boxes":
        return _detection(root, labels, items, size, policy, progress)
    return _defects(root, labels, items, size, policy, progress)


def _classification(root: Path, labels: LabelSet, items: list[tuple[str, ImageLabel]], size: int, policy: str,
                    progress: Callable[[int, int], None] | None) -> ImageSet:
    items = [(key, label) for key, label in items if label.class_name]
    names = sorted({str(label.class_name) for _, label in items}, key=class_order)
    if len(names) < 2:
        raise _too_few_classes(root, labels, labels.progress())
    decoded = decode_in_parallel(items, lambda item: _fitted(root / item[0], size, policy), progress)
    images, classes, sources, skipped = _kept(root, items, decoded)
    counts = {name: 0 for name in names}
    for _, label in classes:
        counts[str(label.class_name)] += 1
    names = [name for name in names if counts[name]]
    if len(names) < 2:
        raise _too_few_classes(root, labels, counts, skipped)
    index = {name: number for number, name in enumerate(names)}
    return _imageset(root, images, [index[str(label.class_name)] for _, label in classes], names, sources, skipped)


def _too_few_classes(root: Path, labels: LabelSet, counts: dict[str, int],
                     skipped: list[SkippedFile] | None = None) -> NeedsLabelsError:
    per_class = ", ".join(f"{name} {counts.get(name, 0)}" for name in labels.class_names) or "no classes yet"
    unreadable = f"; {len(skipped)} labelled images cannot be read (first: {skipped[0].path})" if skipped else ""
    return NeedsLabelsError(
        f"{root}: training needs labelled images of at least two classes; images per class: {per_class} "
        f"({labels.progress()['unlabelled']} not labelled){unreadable}. Label more in the Label tab.")


def _detection(root: Path, labels: LabelSet, items: list[tuple[str, ImageLabel]], size: int, policy: str,
               progress: Callable[[int, int], None] | None) -> ImageSet:
    names = list(labels.class_names)
    for _, label in items:
        names.extend(box.class_name for box in label.boxes if box.class_name not in names)
    index = {name: number for number, name in enumerate(names)}

    def decode(item: tuple[str, ImageLabel]) -> Any:
        key, label = item
        try:
            image, (height, width) = read_image_and_size(root / key, draft_size=size)
        except DatasetError as error:
            return _reason(root / key, error)
        # Boxes are in pixels of the whole upright image; a JPEG draft decodes it smaller.
        scale_x, scale_y = image.shape[2] / width, image.shape[1] / height
        pixel_boxes = torch.tensor([[b.x0 * scale_x, b.y0 * scale_y, b.x1 * scale_x, b.y1 * scale_y]
                                    for b in label.boxes], dtype=torch.float32).reshape(-1, 4)
        fitted, kept = fit_boxes(pixel_boxes, int(image.shape[1]), int(image.shape[2]), size, policy)
        target = 0
        if len(fitted):
            classes = [index[b.class_name] for b, keep in zip(label.boxes, kept.tolist()) if keep]
            areas = (fitted[:, 2] - fitted[:, 0]) * (fitted[:, 3] - fitted[:, 1])
            target = 1 + classes[int(areas.argmax())]
        return fit_image(image, size, policy).contiguous(), fitted, target

    decoded = decode_in_parallel(items, decode, progress)
    images, kept_items, sources, skipped = _kept(root, items, [d if isinstance(d, str) else d[0] for d in decoded])
    results = [d for d in decoded if not isinstance(d, str)]
    targets = [result[2] for result in results]
    if not any(targets):
        raise NeedsLabelsError(f"{root}: no labelled image has a box yet ({len(results)} labelled images, all "
                           f"background); draw boxes on some in the Label tab")
    return _imageset(root, images, targets, [BACKGROUND, *names], sources, skipped,
                     boxes=[result[1] for result in results])


def _defects(root: Path, labels: LabelSet, items: list[tuple[str, ImageLabel]], size: int, policy: str,
             progress: Callable[[int, int], None] | None) -> ImageSet:
    def decode(item: tuple[str, ImageLabel]) -> Any:
        key, label = item
        try:
            image = read_image(root / key)  # no JPEG draft: the mask is at the full size
        except DatasetError as error:
            return _reason(root / key, error)
        mask = label.mask if mask_class(label) != GOOD_CLASS else None
        if mask is not None and tuple(mask.shape) != tuple(image.shape[1:]):
            return (f"its mask in {LABEL_FILE_NAME} is {mask.shape[1]}x{mask.shape[0]} pixels but the image is "
                    f"{image.shape[2]}x{image.shape[1]} (the file changed?); paint the mask again in the Label tab")
        fitted_mask = fit_mask(torch.from_numpy(mask), size, policy) if mask is not None else None
        return fit_image(image, size, policy).contiguous(), fitted_mask

    decoded = decode_in_parallel(items, decode, progress)
    images, kept_items, sources, skipped = _kept(root, items, [d if isinstance(d, str) else d[0] for d in decoded])
    masks = [d[1] for d in decoded if not isinstance(d, str)]
    targets = [int(mask_class(label) != GOOD_CLASS) for _, label in kept_items]
    good, defect = targets.count(0), targets.count(1)
    if not good or not defect:
        raise NeedsLabelsError(
            f"{root}: training needs both good and defect images; labelled and readable: {good} good, "
            f"{defect} with a defect. Label more in the Label tab")
    stacked = None
    if any(mask is not None for mask in masks):  # as the MVTec import: no masks at all when none was painted
        stacked = torch.stack([mask if mask is not None else torch.zeros(size, size, dtype=torch.uint8)
                               for mask in masks])
    return _imageset(root, images, targets, list(DEFECT_CLASSES), sources, skipped, masks=stacked)


def _fitted(path: Path, size: int, policy: str) -> torch.Tensor | str:
    try:
        return fit_image(read_image(path, draft_size=size), size, policy).contiguous()
    except DatasetError as error:
        return _reason(path, error)


def _reason(path: Path, error: Exception) -> str:
    """The read error without the leading file name (SkippedFile names the file)."""
    message, prefix = str(error), f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _kept(root: Path, items: list[tuple[str, ImageLabel]], decoded: list[Any]
          ) -> tuple[list[torch.Tensor], list[tuple[str, ImageLabel]], list[str], list[SkippedFile]]:
    """The decoded images with their items and sources; the unreadable ones as SkippedFiles."""
    images, kept, sources, skipped = [], [], [], []
    for item, result in zip(items, decoded):
        if isinstance(result, str):
            skipped.append(SkippedFile(str(root / item[0]), result))
            continue
        images.append(result)
        kept.append(item)
        sources.append(str(root / item[0]))
    return images, kept, sources, skipped


def _imageset(root: Path, images: list[torch.Tensor], targets: list[int], names: list[str], sources: list[str],
              skipped: list[SkippedFile], **targets_beside: Any) -> ImageSet:
    """The ImageSet; ``targets_beside`` are its ``masks`` or ``boxes``."""
    if not images:
        raise DatasetError(f"{root}: none of the labelled images can be read (first: {skipped[0].path}: "
                           f"{skipped[0].reason})" if skipped else f"{root}: no labelled images")
    return ImageSet(images=torch.stack(images), labels=torch.tensor(targets, dtype=torch.int64), class_names=names,
                    sources=sources, skipped=skipped, name=root.name, **targets_beside)
