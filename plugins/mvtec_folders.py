"""MVTec-AD layout: one product category of good and defective images, with defect masks.

    bottle/
      train/good/          000.png 001.png ...        (defect-free images)
      test/good/           000.png ...
      test/broken_large/   000.png ...                (one folder per defect type)
      ground_truth/broken_large/  000_mask.png ...    (optional; white = defect)

Claims a folder holding ``train/good/`` and ``test/``, or ``train/good/``
alone (judged by names only).
Every image of train and test goes into one ImageSet (the trainer makes its
own stratified split); classes are ("good", "defect"), or "good" plus each
defect type with the ``defect_types`` option. Each image is fitted to
``size`` x ``size`` with the ``resize`` policy and its mask goes through the
same crop, scale and letterbox (nearest neighbour, then 1 = defect).

Masks: good images get all-zero masks. A defect image whose mask file is
missing or unusable is kept with its label and an all-zero mask (an
unusable mask file is listed in ``skipped``; ``skipped`` lists only files
that were not used, so a missing mask is not); when no defect image has a
usable mask (no ground_truth folder) the ImageSet has no masks at all. Unreadable
images, unreadable masks, masks of another size than their image and masks
without an image are listed in ``skipped`` with the reason; nothing crashes.

Good parts alone: a folder without readable defect images (train/good/
only, the MVTec-AD protocol) loads with synthetic defects painted on copies
of its good images (``_synthetic_anomalies``, one per good image, label
"defect", with masks), so the heat-map head learns to find what differs. The
``defects`` option ``evaluate_only`` does the same for a folder with real
defects and keeps those for scoring: the synthetic images are marked
training-only and the real defects evaluation-only (ImageSet.split_roles),
so validation and test measure real defects that training never saw;
``train_and_synthetic`` trains on the real defects and synthetic ones
(training-only), so validation still scores real defects. The default,
``auto``, is ``train_and_synthetic`` when the real defects are fewer than
a tenth of the good images (without ``defect_types``), else ``train``.

Decoded images are not cached on disk (unlike the class-folder import).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cnnstudio.plugin_api import (
    IMAGE_EXTENSIONS,
    RESIZE_POLICIES,
    DatasetError,
    DatasetOption,
    DatasetSpec,
    decode_in_parallel,
    folder_dataset_id,
    folder_options,
    hookimpl,
    private_module,
)

# Asked before the generic class-folder layout (100), which would misread
# train/ and test/ as two classes.
PLUGIN_PRIORITY = 60

LAYOUT = "MVTec-AD: train/good/, test/<defect type>/, optional ground_truth/<defect type>/<name>_mask.png"
GOOD = "good"
# The ``defects`` option: what the real defect images are for.
DEFECT_USES = ("auto", "train", "train_and_synthetic", "evaluate_only")
SYNTHETIC_SEED = 0
# ``defects = auto`` adds synthetic defects when the real ones are fewer than this share of the good
# images. Measured on hairline scratches, 15 real among 300 good (bench/hairline_scratches.py):
# held-out AUROC 0.60 from the real ones alone, 0.81 with synthetic ones added.
FEW_REAL_SHARE = 0.1


@hookimpl
def cnnstudio_open_folder(path: Path) -> DatasetSpec | None:
    """A DatasetSpec for an MVTec-AD category folder, or None if it is not one."""
    path = Path(path)
    if not _is_mvtec(path):
        return None
    types = _defect_types(path)
    shown = ", ".join(types[:6]) + (", ..." if len(types) > 6 else "") if types else "none found yet"
    return DatasetSpec(
        id=folder_dataset_id(path),
        title=path.name or str(path),
        domain="Own images",
        description=(
            f"Defect images in {path}, MVTec-AD layout: good images in train/good/ and "
            f"test/good/, defective ones in test/<defect type>/, pixel masks in "
            f"ground_truth/<defect type>/<name>_mask.png (optional). Defect types: {shown}."
        ),
        task="defect",
        default_head="defect_map",
        class_names=(GOOD, "defect"),
        options=folder_options() + (
            DatasetOption("defect_types", False, "one class per defect type instead of a single 'defect' class"),
            DatasetOption(
                "defects", "auto",
                "auto: learn from the real defect images, adding synthetic defects painted on the good images "
                "when the real ones are fewer than a tenth of the good ones (or missing); train: the real "
                "ones only; train_and_synthetic: both; evaluate_only: train on good images and synthetic "
                "defects, and keep the real ones to score validation and test",
                choices=DEFECT_USES,
            ),
        ),
        load=lambda options: load_mvtec(
            path, _size(options, path), str(options["resize"]), bool(options["defect_types"]),
            str(options.get("defects", "auto")),
        ),
    )


def _size(options: dict[str, Any], path: Path) -> int:
    """The ``size`` option in pixels ("auto": the images' own size, capped)."""
    from cnnstudio.plugin_api import resolve_folder_size

    return resolve_folder_size(options["size"], path, str(options["resize"]))


def _is_mvtec(path: Path) -> bool:
    """train/good/ with test/ beside it, or train/good/ alone (good parts only; no other train/ folder)."""
    if not (path / "train" / GOOD).is_dir():
        return False
    if (path / "test").is_dir():
        return True
    try:
        return [e.name for e in os.scandir(path / "train") if e.is_dir() and not e.name.startswith(".")] == [GOOD]
    except OSError:
        return False


def _defect_types(path: Path) -> list[str]:
    """Sub-folders of test/ other than good, sorted."""
    try:
        return sorted(
            entry.name for entry in os.scandir(path / "test")
            if entry.is_dir() and not entry.name.startswith(".") and entry.name != GOOD
        )
    except OSError:
        return []


def _image_files(folder: Path) -> list[Path]:
    """Image-named, non-hidden files under ``folder`` (sub-folders included), sorted."""
    found: list[Path] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(current) / name for name in files
                     if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def load_mvtec(
    root: Path, size: int = 64, policy: str = "pad", defect_types: bool = False, defects: str = "auto"
) -> Any:
    """Load an MVTec-AD category folder into an ImageSet (see the module docstring)."""
    import torch

    from cnnstudio.plugin_api import ImageSet, SkippedFile

    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found")
    if policy not in RESIZE_POLICIES:
        raise DatasetError(f"{root}: resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    if defects not in DEFECT_USES:
        raise DatasetError(f"{root}: the defects option must be one of {', '.join(DEFECT_USES)}, got {defects!r}")
    skipped: list[Any] = []
    items = _list_items(root, skipped, SkippedFile)  # (image, defect type or good, mask or None)
    decoded = decode_in_parallel(items, lambda item: _decode(item[0], item[2], size, policy))

    images, masks, kinds, sources, mask_used = [], [], [], [], False
    for (image_path, kind, mask_path), result in zip(items, decoded):
        image, mask, problem = result
        if image is None:
            skipped.append(SkippedFile(str(image_path), problem))
            continue
        if problem:  # the mask file was not used; the image still is
            skipped.append(SkippedFile(str(mask_path), problem))
        mask_used = mask_used or mask is not None
        images.append(image)
        masks.append(mask if mask is not None else torch.zeros(size, size, dtype=torch.uint8))
        kinds.append(kind)
        sources.append(str(image_path))

    real = sum(kind != GOOD for kind in kinds)
    if defects == "auto":
        few = real < FEW_REAL_SHARE * (len(kinds) - real) and not defect_types
        defects = "train_and_synthetic" if few and real else "train"
    synthetic = defects != "train" or real == 0
    if synthetic and defect_types:
        raise DatasetError(
            f"{root}: defect_types needs real defect images to train on; turn it off to learn from "
            f"synthetic defects (defects = train_and_synthetic or evaluate_only, or a folder without defect images)"
        )
    class_names = _class_names(root, kinds, defect_types, skipped, SkippedFile)
    index = {name: i for i, name in enumerate(class_names)}
    labels = [index[kind] if defect_types or kind == GOOD else 1 for kind in kinds]
    imageset = ImageSet(
        images=torch.stack(images),  # (N, 3, size, size) uint8
        labels=torch.tensor(labels, dtype=torch.int64),
        class_names=class_names,
        masks=torch.stack(masks) if mask_used else None,  # (N, size, size) uint8
        sources=sources,
        skipped=skipped,
        name=root.name,
    )
    if not synthetic:
        return imageset
    painter = private_module(__file__, "_synthetic_anomalies")
    return painter.with_synthetic_defects(imageset, SYNTHETIC_SEED, keep_real_for_evaluation=defects == "evaluate_only")



def _list_items(root: Path, skipped: list[Any], skipped_file: Any) -> list[tuple[Path, str, Path | None]]:
    """Every image to load with its kind and its mask file; stray files go to ``skipped``."""
    masks = _mask_files(root / "ground_truth")  # (defect type, image stem) -> mask file
    items: list[tuple[Path, str, Path | None]] = [(p, GOOD, None) for p in _image_files(root / "train" / GOOD)]
    for entry in sorted((root / "train").iterdir()):
        if entry.is_dir() and entry.name != GOOD and not entry.name.startswith("."):
            skipped.append(skipped_file(str(entry), "MVTec-AD training folders hold only good images; folder ignored"))
    tests = (root / "test").iterdir() if (root / "test").is_dir() else ()
    for entry in sorted(tests, key=lambda e: (e.name != GOOD, e.name)):  # good first
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS):
            skipped.append(skipped_file(str(entry), "image directly in test/; put it in test/good/ or test/<defect type>/"))
        elif entry.is_dir():
            for image in _image_files(entry):
                mask = masks.pop((entry.name, image.stem), None) if entry.name != GOOD else None
                items.append((image, entry.name, mask))
    for (kind, stem), mask in sorted(masks.items()):
        skipped.append(skipped_file(str(mask), f"mask without an image (no test/{kind}/{stem}.* found)"))
    return items


def _mask_files(folder: Path) -> dict[tuple[str, str], Path]:
    """(defect type, image stem) -> mask file, for ground_truth/<type>/<stem>_mask.<ext>."""
    if not folder.is_dir():
        return {}
    found: dict[tuple[str, str], Path] = {}
    for kind_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for mask in _image_files(kind_dir):
            stem = mask.stem[: -len("_mask")] if mask.stem.endswith("_mask") else mask.stem
            found.setdefault((kind_dir.name, stem), mask)
    return found


def _decode(image_path: Path, mask_path: Path | None, size: int, policy: str) -> tuple[Any, Any, str]:
    """(fitted image or None, fitted mask or None, what went wrong or "")."""
    from cnnstudio.plugin_api import fit_image, fit_mask, read_image

    try:
        image = read_image(image_path)  # (3, H, W) uint8; no JPEG draft: the mask needs the full size
    except Exception as error:  # noqa: BLE001 - one odd file must not stop the import
        return None, None, _reason(image_path, error)
    fitted = fit_image(image, size, policy)
    if mask_path is None:
        return fitted, None, ""
    try:
        mask = read_image(mask_path).amax(dim=0)  # (H, W) uint8; any non-zero channel is defect
    except Exception as error:  # noqa: BLE001
        return fitted, None, _reason(mask_path, error) + "; its image is kept, trained without localisation"
    if tuple(mask.shape) != tuple(image.shape[1:]):
        return fitted, None, (
            f"mask is {mask.shape[1]}x{mask.shape[0]} pixels but its image {image_path.name} is "
            f"{image.shape[2]}x{image.shape[1]}; mask ignored, image kept without localisation"
        )
    return fitted, fit_mask(mask, size, policy), ""


def _reason(path: Path, error: Exception) -> str:
    """The message of a read error without the leading file name (SkippedFile names the file)."""
    message = str(error)
    prefix = f"{path}: "
    if isinstance(error, DatasetError):
        return message[len(prefix):] if message.startswith(prefix) else message
    return f"not a readable image (cannot decode: {type(error).__name__}: {message})"


def _class_names(root: Path, kinds: list[str], defect_types: bool, skipped: list[Any], skipped_file: Any) -> list[str]:
    """("good", "defect") or ("good", *defect types with an image); need good images."""
    present = set(kinds)
    for kind in _defect_types(root):
        if kind not in present:
            skipped.append(skipped_file(str(root / "test" / kind), "defect folder has no readable images; left out"))
    if GOOD not in present:
        raise DatasetError(f"{root}: no readable good images in train/good/ or test/good/")
    types = sorted(present - {GOOD})
    return [GOOD, *types] if defect_types else [GOOD, "defect"]
