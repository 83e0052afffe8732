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
Above ``in_memory_limit_mb`` (``memory_limit``) the images stay in the cache
file instead, memory-mapped, streamed there a chunk at a time.
Files that cannot be read are skipped and listed in ``ImageSet.skipped``
with the reason; a class left without images is listed there too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from cnnstudio.core.data.disk_images import CHUNK_ROWS, DiskImageWriter, chunks, gather_rows, read_rows, release_pages
from cnnstudio.core.data.folder_cache import CACHE_DIR_VARIABLE, FileKey, FolderCache, default_cache_root, file_key
from cnnstudio.core.data.image_io import IMAGE_EXTENSIONS, RESIZE_POLICIES, fit_image, read_image
from cnnstudio.core.data.imageset import ImageSet, SkippedFile
from cnnstudio.core.data.memory_limit import AUTO, decoded_bytes, in_memory_limit_bytes
from cnnstudio.core.data.parallel_decode import decode_in_parallel
from cnnstudio.core.errors import DatasetError
from cnnstudio.core.model.memory_budget import available_memory, format_bytes
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
    in_memory_limit_mb: int | str = AUTO,
) -> ImageSet:
    """Load every image under ``root``'s class sub-folders into an ImageSet.

    ``progress(done, total)`` is called as files are read. ``cache_dir``
    overrides where the decoded-image cache lives (default: see
    ``folder_cache.default_cache_root``); ``use_cache=False`` neither reads
    nor writes it. When the decoded images would take more than
    ``in_memory_limit_mb`` MiB (``memory_limit``), they are streamed into the
    cache's image file and the ImageSet's images are that file, mapped
    (``disk_images``). Raises DatasetError naming the folder when it is missing,
    has no class sub-folders, or fewer than ``min_classes`` classes with a usable
    image (a folder of good images alone, for an anomaly model, needs one).
    """
    root = Path(root).expanduser().absolute()
    if policy not in RESIZE_POLICIES:
        raise DatasetError(f"{root}: resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    files_by_class = list_class_files(root)
    entries: list[tuple[Path, int, FileKey]] = []  # (file, class index, cache key)
    skipped: list[SkippedFile] = []
    for label, files in enumerate(files_by_class.values()):
        for path in files:
            try:
                entries.append((path, label, file_key(path)))
            except OSError as error:
                skipped.append(SkippedFile(str(path), f"cannot read the file ({error.strerror or error})"))
    limit = in_memory_limit_bytes(in_memory_limit_mb, available_memory())
    on_disk = decoded_bytes(len(entries), size) > limit
    cache = FolderCache.open(root, size, policy, cache_dir) if use_cache else None
    scratch = Path(cache_dir) if cache_dir is not None else default_cache_root()
    gathered = _gather(root, entries, cache, size, policy, progress, on_disk, scratch / "scratch")
    skipped.extend(gathered.skipped)
    class_names, labels = _drop_empty_classes(root, list(files_by_class), gathered.labels, skipped, min_classes)
    return ImageSet(
        images=gathered.images,  # (N, 3, size, size) uint8, in memory or mapped from the cache file
        labels=torch.tensor(labels, dtype=torch.int64),
        class_names=class_names,
        sources=gathered.sources,
        skipped=skipped,
        name=root.name,
    )


@dataclass
class _Gathered:
    images: torch.Tensor
    labels: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    keys: list[FileKey] = field(default_factory=list)
    failures: dict[FileKey, str] = field(default_factory=dict)

    def add(self, path: Path, label: int, key: FileKey, result: torch.Tensor | str) -> bool:
        """Record one file's outcome; True when it is an image."""
        if isinstance(result, str):
            if getattr(result, "remember", True):
                self.failures[key] = str(result)
            self.skipped.append(SkippedFile(str(path), str(result)))
            return False
        self.keys.append(key)
        self.labels.append(label)
        self.sources.append(str(path))
        return True


def _gather(
    root: Path, entries: list[tuple[Path, int, FileKey]], cache: FolderCache | None, size: int, policy: str,
    progress: Callable[[int, int], None] | None, on_disk: bool, scratch: Path,
) -> _Gathered:
    """Every entry's image (cached or decoded now) in order, a chunk at a time, and the files that failed.

    The images are written to the cache file as they come (and kept in memory unless ``on_disk``); an
    unchanged folder reuses the cache file as it is.
    """
    rows = cache.rows if cache else {}
    known_failures = cache.failures if cache else {}
    to_decode = [path for path, _, key in entries if key not in rows and key not in known_failures]
    total, done = len(entries), len(entries) - len(to_decode)

    def decode(paths: list[Path]) -> dict[Path, torch.Tensor | _Unreadable]:
        nonlocal done
        start = done
        shifted = None if progress is None else (lambda finished, _total: progress(start + finished, total))
        results = decode_in_parallel(paths, lambda path: _decode_one(path, size, policy), shifted)
        done += len(paths)
        return dict(zip(paths, results))

    early = decode(to_decode) if len(to_decode) <= CHUNK_ROWS else {}  # few: decide first whether anything changed
    if not to_decode and progress:
        progress(total, total)
    if cache is not None and len(to_decode) <= CHUNK_ROWS:
        unchanged = _Gathered(cache.stack)
        for path, label, key in entries:
            unchanged.add(path, label, key, early[path] if path in early else
                          (known_failures[key] if key in known_failures else cache.stack[:0]))
        if unchanged.keys == list(rows) and unchanged.failures == known_failures:
            if not on_disk:
                unchanged.images = read_rows(cache.stack, 0, len(cache.stack))  # into memory
            return unchanged

    writer = cache.writer() if cache is not None else None
    if on_disk:
        writer = writer or _scratch_writer(root, size, scratch)
        _require_room(root, writer, decoded_bytes(len(entries), size))
    memory = None if on_disk else torch.empty(len(entries), 3, size, size, dtype=torch.uint8)
    gathered = _Gathered(torch.empty(0, 3, size, size, dtype=torch.uint8))
    for start, stop in chunks(len(entries)):
        part = entries[start:stop]
        fresh = decode([path for path, _, key in part if path not in early and key not in rows
                        and key not in known_failures])
        reused = [key for path, _, key in part if path not in early and path not in fresh and key in rows]
        cached = {} if cache is None or not reused else dict(zip(reused, gather_rows(
            cache.stack, torch.tensor([rows[key] for key in reused], dtype=torch.int64))))
        block: list[torch.Tensor] = []
        for path, label, key in part:
            result: torch.Tensor | str | None = early.get(path, fresh.get(path))
            if result is None:
                result = cached[key] if key in cached else known_failures[key]
            gathered.add(path, label, key, result)
            if isinstance(result, torch.Tensor):
                block.append(result)
        if block:
            stacked = torch.stack(block)  # (n, 3, size, size)
            if memory is not None:
                memory[len(gathered.keys) - len(block) : len(gathered.keys)] = stacked
            writer = _append(writer, stacked, on_disk)
        if cache is not None:
            release_pages(cache.stack)
    gathered.images = _finish(writer, cache, gathered, on_disk)
    if memory is not None:
        kept = len(gathered.keys)
        gathered.images = memory if kept == len(entries) else memory[:kept].clone()
    return gathered


def _scratch_writer(root: Path, size: int, scratch: Path) -> DiskImageWriter:
    try:
        return DiskImageWriter(size, scratch_dir=scratch)
    except DatasetError as error:
        raise DatasetError(f"{root}: its decoded images are above dataset.options.in_memory_limit_mb and must "
                           f"go to disk, but {error}") from None


def _require_room(root: Path, writer: DiskImageWriter, needed: int) -> None:
    """DatasetError naming the folder when the disk under ``writer`` cannot hold ``needed`` bytes."""
    try:
        free = shutil.disk_usage(writer.scratch_dir).free
    except OSError:
        return
    if free < needed:
        writer.abort()
        raise DatasetError(
            f"{root}: its decoded images take {format_bytes(needed)}, above dataset.options.in_memory_limit_mb, "
            f"so they go to disk in {writer.scratch_dir}, but only {format_bytes(free)} is free there: free "
            f"some space, set {CACHE_DIR_VARIABLE} to a larger disk, or lower dataset.options.size"
        )


def _append(writer: DiskImageWriter | None, rows: torch.Tensor, on_disk: bool) -> DiskImageWriter | None:
    """Write ``rows``; a cache that cannot be written is dropped, unless the images must live on disk."""
    if writer is None:
        return None
    try:
        writer.append(rows)
    except DatasetError:
        if on_disk:
            raise
        return None
    return writer


def _finish(writer: DiskImageWriter | None, cache: FolderCache | None, gathered: _Gathered,
            on_disk: bool) -> torch.Tensor:
    """The written images, mapped (an empty tensor when nothing was written)."""
    empty = gathered.images
    if writer is None:
        return empty
    try:
        if cache is not None and writer.path == cache.images_file:
            return cache.publish(writer, gathered.keys, gathered.failures)
        return writer.finish()
    except DatasetError:
        if on_disk:
            raise
        return empty


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
