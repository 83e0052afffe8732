"""Write a folder's labels as a standard layout other tools read, never touching the original images.

    write_layout(labels, "yolo")   # -> folder/labelled-yolo/ (images/, labels/, classes.txt, data.yaml)

Layouts (only the labels that count for training, ``LabelSet.counted()``):

- ``class-folders`` (kind classes): ``dest/CLASS/<file name>``; two images of
  one class with the same file name from different sub-folders are told apart
  by their sub-folder path joined with ``__`` (``shelf__a.jpg``).
- ``yolo`` (kind boxes): ``dest/images/<name>``, ``dest/labels/<stem>.txt``
  with ``class cx cy w h`` lines as fractions of the upright original image
  (an empty file for a labelled image without boxes: background),
  ``dest/classes.txt`` and an Ultralytics-style ``dest/data.yaml``.
- ``mvtec`` (kind masks): good images in ``dest/train/good/`` (every fifth
  in ``dest/test/good/``), each defect image in ``dest/test/KIND/NNN.ext``
  with its 0/255 mask ``dest/ground_truth/KIND/NNN_mask.png`` at the
  image's size. Images keep their own extension (the MVTec importer reads
  any image type and matches masks by name).

Images are hard links to the originals (no extra disk space), or copies
where linking fails or with ``link=False``. A file is only ever replaced by
renaming a new file over it, so writing never changes an original through a
link. Writing again after relabelling replaces what changed and removes what
no longer applies: ``dest/.cnnstudio-layout.json`` lists the files this
module wrote, and only those are ever removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cnnstudio.core.atomic import atomic_write_bytes, atomic_write_text
from cnnstudio.core.labels.folder_images import EXPORT_PREFIX
from cnnstudio.core.labels.label_set import GOOD_CLASS, Box, ImageLabel, LabelSet
from cnnstudio.core.labels.layout_labels import original_size

LAYOUTS = ("class-folders", "yolo", "mvtec")
LAYOUT_KINDS = {"class-folders": "classes", "yolo": "boxes", "mvtec": "masks"}
MANIFEST_NAME = ".cnnstudio-layout.json"
TEST_GOOD_EVERY = 5  # every fifth good image goes to test/good/ in the MVTec layout
DEFECT = "defect"  # the defect kind of a mask label without a class


@dataclass(frozen=True)
class LayoutSummary:
    """What one write did: where, how many images the layout holds, files written and removed, images left out."""

    dest: Path
    images: int
    files_written: int
    files_removed: int
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Linked:
    """A planned file that is an original image, linked or copied."""

    source: Path

    def signature(self, link: bool) -> str:
        stat = self.source.stat()
        return f"{'link' if link else 'copy'}:{self.source}:{stat.st_size}:{stat.st_mtime_ns}"


Plan = dict[str, _Linked | bytes]  # path relative to dest (posix) -> what it holds


def default_dest(labels: LabelSet, layout: str) -> Path:
    return labels.root / f"{EXPORT_PREFIX}{layout}"


def write_layout(labels: LabelSet, layout: str, dest: Path | None = None, link: bool = True) -> LayoutSummary:
    """Write ``labels`` as ``layout`` (one of LAYOUTS) into ``dest``; see the module docstring."""
    writers: dict[str, Callable[..., LayoutSummary]] = {
        "class-folders": write_class_folders, "yolo": write_yolo, "mvtec": write_mvtec}
    if layout not in writers:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return writers[layout](labels, dest, link)


def write_class_folders(labels: LabelSet, dest: Path | None = None, link: bool = True) -> LayoutSummary:
    """``dest/CLASS/<file name>`` for every counted image with a class."""
    _check_kind(labels, "class-folders")
    counted = {key: label for key, label in labels.counted().items() if label.class_name}
    plan: Plan = {}
    for name in sorted({label.class_name for label in counted.values() if label.class_name}):
        keys = [key for key, label in counted.items() if label.class_name == name]
        for key, file_name in _flat_names(keys).items():
            plan[f"{name}/{file_name}"] = _Linked(labels.root / key)
    return _write(labels, "class-folders", dest, link, plan, [])


def write_yolo(labels: LabelSet, dest: Path | None = None, link: bool = True) -> LayoutSummary:
    """``images/``, ``labels/<stem>.txt`` (``class cx cy w h``), ``classes.txt`` and ``data.yaml``."""
    _check_kind(labels, "yolo")
    counted = labels.counted()
    names = list(labels.class_names)
    for label in counted.values():  # a box class missing from the list (hand-made sets) is added, not lost
        names.extend(box.class_name for box in label.boxes if box.class_name not in names)
    index = {name: number for number, name in enumerate(names)}
    target = Path(dest) if dest is not None else default_dest(labels, "yolo")
    plan: Plan = {}
    skipped: list[str] = []
    for key, file_name in _flat_names(list(counted)).items():
        try:
            width, height = original_size(labels.root / key)
        except OSError as error:
            skipped.append(f"{key}: cannot read its size ({error}); left out")
            continue
        lines = [_yolo_line(box, index[box.class_name], width, height) for box in counted[key].boxes]
        plan[f"images/{file_name}"] = _Linked(labels.root / key)
        plan[f"labels/{Path(file_name).stem}.txt"] = "".join(line for line in lines if line).encode()
    plan["classes.txt"] = "".join(f"{name}\n" for name in names).encode()
    yaml = [f"# Written by CNN Studio from the labels of {labels.root}", f"path: {json.dumps(str(target.absolute()))}",
            "train: images", "val: images", "names:"] + [f"  {i}: {json.dumps(name)}" for i, name in enumerate(names)]
    plan["data.yaml"] = ("\n".join(yaml) + "\n").encode()
    return _write(labels, "yolo", dest, link, plan, skipped)


def _yolo_line(box: Box, class_id: int, width: int, height: int) -> str:
    """``class cx cy w h`` of the box clipped to the image, or "" when nothing of it is inside."""
    x0, x1 = sorted((min(max(box.x0, 0.0), width), min(max(box.x1, 0.0), width)))
    y0, y1 = sorted((min(max(box.y0, 0.0), height), min(max(box.y1, 0.0), height)))
    if x1 <= x0 or y1 <= y0:
        return ""
    cx, cy, w, h = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height
    return f"{class_id} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n"


def mask_class(label: ImageLabel) -> str:
    """GOOD_CLASS or the defect kind of a mask label: a class other than good, or "defect" for a painted
    mask without one."""
    if label.class_name and label.class_name != GOOD_CLASS:
        return label.class_name
    if label.class_name is None and label.mask is not None and label.mask.any():
        return DEFECT
    return GOOD_CLASS


def write_mvtec(labels: LabelSet, dest: Path | None = None, link: bool = True) -> LayoutSummary:
    """``train/good``, ``test/good``, ``test/KIND/NNN.ext`` and ``ground_truth/KIND/NNN_mask.png``."""
    _check_kind(labels, "mvtec")
    counted = labels.counted()
    by_kind: dict[str, list[str]] = {}
    for key in sorted(counted):
        by_kind.setdefault(mask_class(counted[key]), []).append(key)
    plan: Plan = {}
    for number, key in enumerate(by_kind.pop(GOOD_CLASS, [])):
        folder = "test/good" if number % TEST_GOOD_EVERY == TEST_GOOD_EVERY - 1 else "train/good"
        plan[f"{folder}/{number:03d}{Path(key).suffix}"] = _Linked(labels.root / key)
    for kind, keys in sorted(by_kind.items()):
        for number, key in enumerate(keys):
            plan[f"test/{kind}/{number:03d}{Path(key).suffix}"] = _Linked(labels.root / key)
            mask = counted[key].mask
            if mask is not None:
                plan[f"ground_truth/{kind}/{number:03d}_mask.png"] = _mask_png(mask)
    return _write(labels, "mvtec", dest, link, plan, [])


def _mask_png(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.where(np.asarray(mask) > 0, 255, 0).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _check_kind(labels: LabelSet, layout: str) -> None:
    needed = LAYOUT_KINDS[layout]
    if labels.kind != needed:
        what = {"classes": "one class per image", "boxes": "boxes", "masks": "defect masks"}[needed]
        raise ValueError(f"the {layout} layout needs {what} (label kind {needed!r}); the labels of "
                         f"{labels.root} are kind {labels.kind!r}")


def _flat_names(keys: list[str]) -> dict[str, str]:
    """A file name for each image key, unique by stem (YOLO label files are named by stem).

    Keys keep their own file name when its stem is unique; clashing ones from
    sub-folders get the sub-folder path joined with ``__`` in front.
    """
    stems: dict[str, int] = {}
    for key in keys:
        stem = Path(key).stem
        stems[stem] = stems.get(stem, 0) + 1
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in sorted(keys):
        name = Path(key).name if stems[Path(key).stem] == 1 else key.replace("/", "__")
        stem, suffix, number = Path(name).stem, Path(name).suffix, 1
        while stem in used:  # a still-clashing name (a.jpg beside a.png at the top level): count up
            number += 1
            stem = f"{Path(name).stem}_{number}"
        used.add(stem)
        names[key] = f"{stem}{suffix}"
    return names


# ---- writing, re-runnable ---------------------------------------------------------------------------
def _write(labels: LabelSet, layout: str, dest: Path | None, link: bool, plan: Plan,
           skipped: list[str]) -> LayoutSummary:
    dest = Path(dest) if dest is not None else default_dest(labels, layout)
    root = labels.root.absolute()
    if dest.absolute() == root or root.is_relative_to(dest.absolute()):
        raise ValueError(f"{dest}: a layout cannot be written over the labelled folder {root}; choose a new folder")
    owned = _read_manifest(dest)
    wanted: dict[str, str] = {}
    for relative, content in plan.items():
        try:
            wanted[relative] = content.signature(link) if isinstance(content, _Linked) else _digest(content)
        except OSError as error:
            skipped.append(f"{relative}: its image cannot be read ({error.strerror or error}); left out")
    # Before writing, own everything old and new (unconfirmed ones blank), so a crash leaves nothing unowned.
    _write_manifest(dest, layout, {rel: owned.get(rel, "") if owned.get(rel) == wanted.get(rel) else ""
                                   for rel in set(owned) | set(wanted)})
    written = 0
    done: dict[str, str] = {}
    for relative, signature in sorted(wanted.items()):
        path = dest / relative
        if owned.get(relative) != signature or not path.is_file():
            content = plan[relative]
            try:
                if isinstance(content, _Linked):
                    _place_image(content.source, path, link)
                elif relative.endswith((".txt", ".yaml")):
                    atomic_write_text(path, content.decode())
                else:
                    atomic_write_bytes(path, content)
            except OSError as error:
                skipped.append(f"{relative}: cannot write it ({error.strerror or error}); left out")
                continue
            written += 1
        done[relative] = signature
    removed = 0
    for relative in sorted(set(owned) - set(done)):
        path = dest / relative
        if path.resolve().is_relative_to(dest.resolve()) and (path.is_file() or path.is_symlink()):
            path.unlink()
            removed += 1
            _remove_empty_parents(path.parent, dest)
    _write_manifest(dest, layout, done)
    images = sum(isinstance(plan[relative], _Linked) for relative in done)
    return LayoutSummary(dest, images, written, removed, tuple(skipped))


def _place_image(source: Path, path: Path, link: bool) -> None:
    """Put ``source`` at ``path`` (a hard link, else a copy), replacing what was there by a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(source, temporary)
            except OSError:  # another file system, or links not allowed there
                shutil.copy2(source, temporary)
        else:
            shutil.copy2(source, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_empty_parents(folder: Path, dest: Path) -> None:
    while folder.absolute() != dest.absolute() and folder.absolute().is_relative_to(dest.absolute()):
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or not ours to remove)
        folder = folder.parent


def _digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _read_manifest(dest: Path) -> dict[str, str]:
    """The files an earlier write put in ``dest`` (path -> signature); {} when none or unreadable."""
    try:
        data = json.loads((dest / MANIFEST_NAME).read_text(encoding="utf-8"))
        files = data["files"]
        return {str(rel): str(sig) for rel, sig in files.items() if ".." not in Path(str(rel)).parts}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_manifest(dest: Path, layout: str, files: dict[str, str]) -> None:
    data = {"format": "cnnstudio-layout", "layout": layout, "files": dict(sorted(files.items()))}
    atomic_write_text(dest / MANIFEST_NAME, json.dumps(data, indent=1) + "\n")
