"""Importing a folder of the user's images laid out one sub-folder per class.

    root/
      cats/  a.jpg  b.png  more/c.jpg     (sub-folders of a class are included)
      dogs/  d.jpeg ...

Class names are the sub-folder names, sorted, except that a "normal" class
(``ok``, ``good``, ``genuine``, ...) comes first: two-class scores and
thresholds are about "not class 0". Hidden files and folders
(starting with ".") and files without an image extension are ignored. Each
image is decoded once, fitted to ``size`` x ``size`` (see
``image_io.fit_image``) and kept in memory; decoded images are cached on
disk (``folder_cache``) so reopening the folder only decodes what changed.
Files that cannot be read are skipped and listed in ``ImageSet.skipped``
with the reason; a class left without images is listed there too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch

from cnnstudio.core.data.folder_cache import FileKey, FolderCache, file_key
from cnnstudio.core.data.image_io import IMAGE_EXTENSIONS, RESIZE_POLICIES, fit_image, read_image
from cnnstudio.core.data.imageset import ImageSet, SkippedFile
from cnnstudio.core.data.parallel_decode import decode_in_parallel
from cnnstudio.core.errors import DatasetError
from cnnstudio.core.specs import class_order

# Pillow releases the GIL while decoding, so a few threads help; more than
# four gives nothing on a laptop and competes with the GUI.


def import_class_folders(
    root: Path,
    size: int = 64,
    policy: str = "pad",
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    use_cache: bool = True,
    min_classes: int = 2,
) -> ImageSet:
    """Load every image under ``root``'s class sub-folders into an ImageSet.

    ``progress(done, total)`` is called as files are read. ``cache_dir``
    overrides where the decoded-image cache lives (default: see
    ``folder_cache.default_cache_root``); ``use_cache=False`` neither reads
    nor writes it. Raises DatasetError naming the folder when it is missing,
    has no class sub-folders, or fewer than ``min_classes`` classes with a usable
    image (a folder of good images alone, for an anomaly model, needs one).
    """
    root = Path(root).expanduser().absolute()
    if policy not in RESIZE_POLICIES:
        raise DatasetError(f"{root}: resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    files_by_class = list_class_files(root)

    cache = FolderCache.open(root, size, policy, cache_dir) if use_cache else None
    entries: list[tuple[Path, int, FileKey]] = []  # (file, class index, cache key)
    skipped: list[SkippedFile] = []
    for label, files in enumerate(files_by_class.values()):
        for path in files:
            try:
                entries.append((path, label, file_key(path)))
            except OSError as error:
                skipped.append(SkippedFile(str(path), f"cannot read the file ({error.strerror or error})"))

    known_images = cache.images if cache else {}
    known_failures = cache.failures if cache else {}
    to_decode = [path for path, _, key in entries if key not in known_images and key not in known_failures]
    decoded = dict(zip(to_decode, decode_in_parallel(
        to_decode, lambda path: _decode_one(path, size, policy), progress, already_done=len(entries) - len(to_decode))))

    images_by_key: dict[FileKey, torch.Tensor] = {}
    failures_by_key: dict[FileKey, str] = {}
    kept_images: list[torch.Tensor] = []
    labels: list[int] = []
    sources: list[str] = []
    for path, label, key in entries:
        # Every file was decoded now or is in the cache, as an image or as the reason it is unusable.
        result: torch.Tensor | str
        if path in decoded:
            result = decoded[path]
        elif key in known_images:
            result = known_images[key]
        else:
            result = known_failures[key]
        if isinstance(result, str):
            if getattr(result, "remember", True):
                failures_by_key[key] = str(result)
            skipped.append(SkippedFile(str(path), str(result)))
            continue
        images_by_key[key] = result
        kept_images.append(result)
        labels.append(label)
        sources.append(str(path))

    if cache is not None and (to_decode or len(images_by_key) != len(known_images)
                              or len(failures_by_key) != len(known_failures)):
        cache.save(images_by_key, failures_by_key)

    class_names, labels = _drop_empty_classes(root, list(files_by_class), labels, skipped, min_classes)
    stacked = torch.stack(kept_images) if kept_images else torch.empty(0, 3, size, size, dtype=torch.uint8)
    return ImageSet(
        images=stacked,  # (N, 3, size, size) uint8
        labels=torch.tensor(labels, dtype=torch.int64),
        class_names=class_names,
        sources=sources,
        skipped=skipped,
        name=root.name,
    )


def list_class_files(root: Path) -> dict[str, list[Path]]:
    """Class name -> its image files (sorted), for every non-hidden sub-folder of ``root``."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: folder not found")
    if not root.is_dir():
        raise DatasetError(f"{root}: is not a folder (expected a folder with one sub-folder per class)")
    try:
        class_dirs = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: class_order(p.name)
        )
    except OSError as error:
        raise DatasetError(f"{root}: cannot list the folder ({error.strerror or error})") from None
    if not class_dirs:
        raise DatasetError(
            f"{root}: no class sub-folders found (expected one sub-folder per class, "
            f"e.g. {root.name}/cats/ and {root.name}/dogs/)"
        )
    return {folder.name: _image_files(folder) for folder in class_dirs}


def _image_files(folder: Path) -> list[Path]:
    """Image-named files under ``folder`` and its non-hidden sub-folders, sorted."""
    found: list[Path] = []
    for current, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(current) / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
        )
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


class _Unreadable(str):
    """Why a file could not be used; ``remember`` is False when the cause may
    go away without the file changing (no read permission), so it is not cached."""

    remember: bool = True


def _decode_one(path: Path, size: int, policy: str) -> torch.Tensor | _Unreadable:
    """The fitted (3, size, size) uint8 image, or the reason it cannot be read."""
    try:
        return fit_image(read_image(path, draft_size=size), size, policy).contiguous()
    except DatasetError as error:
        message = str(error)
        prefix = f"{path}: "
        reason = _Unreadable(message[len(prefix):] if message.startswith(prefix) else message)
    except Exception as error:  # noqa: BLE001 - one odd file must not stop the import
        reason = _Unreadable(f"not a readable image (cannot decode: {type(error).__name__}: {error})")
    reason.remember = os.access(path, os.R_OK)
    return reason



def _drop_empty_classes(
    root: Path, class_names: list[str], labels: list[int], skipped: list[SkippedFile], min_classes: int = 2
) -> tuple[list[str], list[int]]:
    """Leave out classes without a usable image (listed in ``skipped``); need ``min_classes`` left."""
    counts = [0] * len(class_names)
    for label in labels:
        counts[label] += 1
    empty = [name for name, count in zip(class_names, counts) if count == 0]
    usable = [name for name, count in zip(class_names, counts) if count > 0]
    if len(usable) < min_classes or not usable:
        detail = f"; empty or unreadable: {', '.join(empty)}" if empty else ""
        found = f"only {usable[0]!r} has images" if usable else "none has a readable image"
        unreadable = [f"{Path(item.path).relative_to(root) if Path(item.path).is_relative_to(root) else item.path}"
                      f" ({item.reason})" for item in skipped[:5]]
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        files = f". Unreadable files: {'; '.join(unreadable)}{more}" if unreadable else ""
        raise DatasetError(
            f"{root}: need at least {'two class sub-folders' if min_classes > 1 else 'one class sub-folder'} "
            f"with images, {found}{detail}{files}"
        )
    for name in empty:
        skipped.append(SkippedFile(str(root / name), "class folder has no readable images; class left out"))
    new_index = {old: new for new, old in enumerate(i for i, c in enumerate(counts) if c > 0)}
    return usable, [new_index[label] for label in labels]
