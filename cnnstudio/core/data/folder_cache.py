"""An on-disk cache of decoded, resized folder images, so reopening a folder is instant.

One cache per (folder, size, resize policy), stored as two files under
``<cache root>/folders/<hash>/``:

- ``images.safetensors``: every cached image stacked, (N, 3, size, size) uint8,
  written in chunks and memory-mapped when read (``disk_images``): opening the
  cache reads nothing until rows are used
- ``index.json``: for each image row its file key, plus the files that
  could not be read and why (so they are reported again without decoding)

A file's key is (absolute path, size in bytes, mtime in ns): change any and
the file is decoded again. Nothing is pickled. A missing, stale or damaged
cache is simply rebuilt; a cache problem never stops an import.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from cnnstudio.core.atomic import atomic_write_text
from cnnstudio.core.data.disk_images import DiskImageWriter, open_image_file
from cnnstudio.core.errors import DatasetError

CACHE_DIR_VARIABLE = "CNNSTUDIO_CACHE_DIR"
_FORMAT = 1
_IMAGES_FILE = "images.safetensors"
_INDEX_FILE = "index.json"

FileKey = tuple[str, int, int]  # (absolute path, size in bytes, mtime in ns)


def file_key(path: Path) -> FileKey:
    """The cache key of a file: its absolute path, size and modification time."""
    path = Path(path).absolute()
    stat = path.stat()
    return str(path), int(stat.st_size), int(stat.st_mtime_ns)


def default_cache_root() -> Path:
    """``$CNNSTUDIO_CACHE_DIR`` if set, else the platform's user cache folder."""
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cnnstudio"))


def cache_folder(root: Path, size: int, policy: str, cache_dir: Path | None = None) -> Path:
    """Where the cache of folder ``root`` at ``size`` and ``policy`` lives."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_root()
    digest = hashlib.sha256(f"{Path(root).absolute()}|{size}|{policy}".encode()).hexdigest()[:24]
    return base / "folders" / digest


@dataclass
class FolderCache:
    """What is known about a folder's files: decoded images (mapped from disk) and unreadable files."""

    folder: Path
    size: int
    policy: str
    stack: torch.Tensor = field(default_factory=lambda: torch.empty(0, 3, 0, 0, dtype=torch.uint8))
    rows: dict[FileKey, int] = field(default_factory=dict)  # key -> its row of ``stack``
    failures: dict[FileKey, str] = field(default_factory=dict)  # key -> reason

    @classmethod
    def open(cls, root: Path, size: int, policy: str, cache_dir: Path | None = None) -> FolderCache:
        """Map the cache for ``root``; an absent or unusable one gives an empty cache."""
        cache = cls(cache_folder(root, size, policy, cache_dir), size, policy)
        cache.stack = torch.empty(0, 3, size, size, dtype=torch.uint8)
        try:
            cache._load()
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
            cache.stack = torch.empty(0, 3, size, size, dtype=torch.uint8)
            cache.rows.clear()
            cache.failures.clear()
        return cache

    @property
    def images_file(self) -> Path:
        return self.folder / _IMAGES_FILE

    def _load(self) -> None:
        index_path = self.folder / _INDEX_FILE
        if not index_path.is_file():
            return
        index = json.loads(index_path.read_text(encoding="utf-8"))
        if index.get("format") != _FORMAT or index.get("size") != self.size or index.get("policy") != self.policy:
            return
        keys = [_key(entry) for entry in index["images"]]
        failures = {_key(entry["key"]): str(entry["reason"]) for entry in index["failures"]}
        if keys:
            images, digest = open_image_file(self.images_file)  # mapped: nothing is read yet
            if digest != _digest(keys) or tuple(images.shape) != (len(keys), 3, self.size, self.size):
                return  # the two files are from different writes
            self.stack = images
        self.rows = {key: row for row, key in enumerate(keys)}
        self.failures = failures

    def writer(self) -> DiskImageWriter | None:
        """A writer for a new images file (published by ``publish``), or None when the cache cannot be written."""
        try:
            return DiskImageWriter(self.size, self.images_file)
        except DatasetError:
            return None

    def publish(self, writer: DiskImageWriter, keys: list[FileKey], failures: dict[FileKey, str]) -> torch.Tensor:
        """Finish ``writer`` (its rows are ``keys``' images, in order) and write the index to match.

        Returns the written images, mapped. Raises DatasetError naming the file when it cannot be written.
        """
        self.stack = writer.finish(_digest(keys))
        self.rows = {key: row for row, key in enumerate(keys)}
        self.failures = dict(failures)
        index = {
            "format": _FORMAT,
            "size": self.size,
            "policy": self.policy,
            "images": [list(key) for key in keys],
            "failures": [{"key": list(key), "reason": reason} for key, reason in failures.items()],
        }
        try:
            atomic_write_text(self.folder / _INDEX_FILE, json.dumps(index))
        except OSError:
            pass  # the next open finds no matching index and decodes again; this import has its images
        return self.stack


def _key(entry: list) -> FileKey:
    path, size, mtime = entry
    return str(path), int(size), int(mtime)


def _digest(keys: list[FileKey]) -> int:
    """A 62-bit fingerprint of the key list, stored with the images to pair the two files."""
    text = json.dumps([list(key) for key in keys])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 2
