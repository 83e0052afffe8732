"""Images that live in a file on disk, memory-mapped: datasets larger than the memory.

A disk-backed image stack is an ordinary (N, 3, S, S) uint8 torch tensor whose
bytes are a private, copy-on-write map of a file, so ``images[index]`` reads
(and copies) only those rows and the rest of the code need not know. The file
is a valid safetensors file (``images`` U8 (N, 3, S, S), then ``digest_check``
I64 (1,)) whose header has fixed room, so it can be written in chunks before
N is known and read back by ``safetensors.torch.load`` as well as mapped.

Pages read through a map count in the process's resident memory (RSS) until
they are unmapped, and a fault maps the whole page-cache folio around it (up
to 2 MiB on recent kernels, for a 12 KiB row). So:

- maps are advised MADV_RANDOM, and a file's page cache is dropped once it is
  written and after each sequential read, so the random rows the training
  loop gathers fault in a few small pages each;
- sequential passes (statistics, subsets, resizing, evaluation) read rows
  with ``read_rows`` (pread, then the pages are dropped behind), not the map;
- a background thread unmaps every map's pages every ``TRIM_INTERVAL_S``, and
  ``release_pages`` does it at once; they come back on the next read.

A write into a mapped tensor changes this process's copy only and may be
undone by a trim: treat disk-backed images as read-only.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import struct
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnstudio.core.errors import DatasetError

HEADER_ROOM = 1016  # bytes of JSON header room: the pixel data starts at byte 8 + 1016 = 1024
CHUNK_ROWS = 2048  # rows read, decoded or written at a time
TRIM_INTERVAL_S = 0.25
SPAN_FACTOR = 4  # gather rows by reading their whole span when it is at most this many times their count
_DIGEST_BYTES = 8


@dataclass
class _Map:
    """One open map: the address range its tensors point into, and where new files beside it go."""

    start: int
    stop: int
    memory: weakref.ref  # to the mmap.mmap; the map closes when its last tensor is gone
    path: Path | None  # the file (None: an unnamed scratch file)
    scratch_dir: Path
    descriptor: int  # an open descriptor of the file, for pread (closed with the map)

    def close_if_dead(self) -> bool:
        """Close the descriptor once the map is gone; True when it was."""
        if self.memory() is not None:
            return False
        with contextlib.suppress(OSError):
            os.close(self.descriptor)
        return True


_maps: list[_Map] = []
_lock = threading.Lock()
_trimmer_pid: int | None = None


class DiskImageWriter:
    """Appends (n, 3, S, S) uint8 rows to a new image file; ``finish`` maps it.

    With ``path`` the rows go to a temporary file beside it, renamed over it by
    ``finish`` (readers of the old file keep their map). Without, they go to
    an unnamed file in ``scratch_dir`` that disappears when the process ends.
    """

    def __init__(self, size: int, path: Path | None = None, scratch_dir: Path | None = None) -> None:
        self.size, self.path, self.rows = int(size), None if path is None else Path(path), 0
        if scratch_dir is None and self.path is None:
            raise ValueError("DiskImageWriter needs a path or a scratch_dir")
        self.scratch_dir = Path(scratch_dir) if scratch_dir is not None else self.path.parent  # type: ignore[union-attr]
        target = self.path.parent if self.path is not None else self.scratch_dir
        try:
            target.mkdir(parents=True, exist_ok=True)
            if self.path is not None:
                self._temp: Path | None = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                self.file = open(self._temp, "w+b")  # noqa: SIM115 - closed by finish or abort
            else:
                self._temp = None
                self.file = tempfile.TemporaryFile(dir=target)  # noqa: SIM115 - unnamed: gone with the process
            self.file.write(b"\0" * (8 + HEADER_ROOM))
        except OSError as error:
            raise DatasetError(f"{target}: cannot write the image file ({error.strerror or error})") from None

    @property
    def where(self) -> Path:
        return self.path if self.path is not None else self.scratch_dir

    def append(self, rows: torch.Tensor) -> None:
        """Add ``rows``, (n, 3, S, S) uint8, at the end."""
        if rows.dtype != torch.uint8 or tuple(rows.shape[1:]) != (3, self.size, self.size):
            raise DatasetError(f"{self.where}: rows must be (n, 3, {self.size}, {self.size}) uint8, "
                               f"got {tuple(rows.shape)} {rows.dtype}")
        try:
            self.file.write(rows.contiguous().numpy().reshape(-1).data)
        except OSError as error:
            self.abort()
            raise DatasetError(f"{self.where}: cannot write the images ({error.strerror or error}); "
                               f"{self.rows:,} of them were written") from None
        self.rows += int(rows.shape[0])

    def finish(self, digest: int = 0) -> torch.Tensor:
        """Write the header and ``digest``, publish the file and return its images, mapped."""
        nbytes = self.rows * 3 * self.size * self.size
        header = {
            "images": {"dtype": "U8", "shape": [self.rows, 3, self.size, self.size], "data_offsets": [0, nbytes]},
            "digest_check": {"dtype": "I64", "shape": [1], "data_offsets": [nbytes, nbytes + _DIGEST_BYTES]},
        }
        try:
            self.file.write(struct.pack("<q", int(digest)))
            self.file.seek(0)
            self.file.write(struct.pack("<Q", HEADER_ROOM) + json.dumps(header).encode().ljust(HEADER_ROOM))
            self.file.flush()
            os.fdatasync(self.file.fileno())  # written back, so the page cache can be dropped
            _drop_cache(self.file.fileno())
            if self.path is None:
                return _map_file(self.file, None, self.scratch_dir)[0]
            self.file.close()
            assert self._temp is not None
            os.replace(self._temp, self.path)
        except OSError as error:
            self.abort()
            raise DatasetError(f"{self.where}: cannot finish the image file ({error.strerror or error})") from None
        return open_image_file(self.path)[0]

    def abort(self) -> None:
        """Close and remove the unfinished file."""
        with contextlib.suppress(OSError):
            self.file.close()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()


def open_image_file(path: Path) -> tuple[torch.Tensor, int]:
    """The images of an image file, mapped, and its digest; DatasetError naming the file when it is damaged."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return _map_file(handle, path, path.parent)
    except OSError as error:
        raise DatasetError(f"{path}: cannot open the image file ({error.strerror or error})") from None


def _map_file(handle, path: Path | None, scratch_dir: Path) -> tuple[torch.Tensor, int]:  # noqa: ANN001
    where = path or scratch_dir
    handle.seek(0)
    head = handle.read(8)
    try:
        (length,) = struct.unpack("<Q", head)
        if length > 1 << 20:
            raise ValueError("header too long")
        header = json.loads(handle.read(length))
        images, check = header["images"], header["digest_check"]
        shape = [int(n) for n in images["shape"]]
        start, stop = (int(n) for n in images["data_offsets"])
        valid = (images["dtype"] == "U8" and len(shape) == 4 and shape[1] == 3 and shape[2] == shape[3]
                 and start == 0 and stop == int(np.prod(shape)) and check["data_offsets"] == [stop, stop + 8])
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise DatasetError(f"{where}: not a readable image file ({error})") from None
    size = os.fstat(handle.fileno()).st_size
    if not valid or size != 8 + length + stop + _DIGEST_BYTES:
        raise DatasetError(f"{where}: damaged image file (its header says {shape} U8, "
                           f"the file has {size:,} bytes)")
    if stop == 0:
        return torch.empty(shape, dtype=torch.uint8), 0
    memory = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)  # private: a stray write never reaches the file
    with contextlib.suppress(OSError):
        memory.madvise(mmap.MADV_RANDOM)
    (digest,) = struct.unpack("<q", memory[8 + length + stop:])
    array = np.frombuffer(memory, dtype=np.uint8, count=stop, offset=8 + length).reshape(shape)
    tensor = torch.from_numpy(array)
    base = tensor.data_ptr() - 8 - length
    with _lock:
        _maps[:] = [m for m in _maps if not m.close_if_dead()]
        _maps.append(_Map(base, base + len(memory), weakref.ref(memory), path, scratch_dir, os.dup(handle.fileno())))
    _start_trimmer()
    return tensor, int(digest)


def _map_of(images: torch.Tensor) -> _Map | None:
    if images.device.type != "cpu" or images.numel() == 0:
        return None
    address = images.data_ptr()
    with _lock:
        for found in _maps:
            if found.start <= address < found.stop and found.memory() is not None:
                return found
    return None


def is_disk_backed(images: torch.Tensor) -> bool:
    """Whether ``images`` (or the rows it views) live in a mapped image file rather than in memory."""
    return _map_of(images) is not None


def scratch_dir_of(images: torch.Tensor) -> Path | None:
    """Where files derived from disk-backed ``images`` are written (beside their file), or None."""
    found = _map_of(images)
    return None if found is None else found.scratch_dir


def release_pages(images: torch.Tensor) -> None:
    """Drop the resident pages of disk-backed ``images`` (the bytes it spans); nothing for in-memory ones."""
    found = _map_of(images)
    memory = None if found is None else found.memory()
    if found is None or memory is None:
        return
    first = images.data_ptr() - found.start
    span = (images.shape[0] * images.stride(0) if images.ndim else 1) * images.element_size()
    page = mmap.PAGESIZE
    low, high = first // page * page, min(len(memory), -(-(first + span) // page) * page)
    with contextlib.suppress(ValueError, OSError):
        memory.madvise(mmap.MADV_DONTNEED, low, high - low)


def _drop_cache(descriptor: int, offset: int = 0, length: int = 0) -> None:
    """Drop a file's clean pages from the page cache (all of it when ``length`` is 0)."""
    with contextlib.suppress(OSError, AttributeError):
        os.posix_fadvise(descriptor, offset, length, os.POSIX_FADV_DONTNEED)


def read_rows(images: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """``images[start:stop]`` as a new tensor; disk-backed rows are read from the file (pread), not the map,
    and their pages dropped from the page cache behind the read. In-memory images give the view itself."""
    found = _map_of(images)
    start, stop = max(0, start), min(stop, int(images.shape[0]))
    if found is None or not images.is_contiguous() or stop <= start:
        return images[start:stop]
    rows = torch.empty((stop - start, *images.shape[1:]), dtype=images.dtype)
    offset = images.data_ptr() - found.start + start * images.stride(0)  # the map starts at the file's byte 0
    buffer = memoryview(rows.numpy().reshape(-1).data)
    done = 0
    while done < len(buffer):
        count = os.preadv(found.descriptor, [buffer[done:]], offset + done)
        if count <= 0:
            raise DatasetError(f"{found.path or found.scratch_dir}: the image file ended early "
                               f"(row {start + done // images.stride(0)})")
        done += count
    _drop_cache(found.descriptor, offset, len(buffer))
    return rows


def gather_rows(images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``images[index]``; for disk-backed images read as one span (``read_rows``) when the rows lie close."""
    if len(index) == 0 or not is_disk_backed(images):
        return images[index]
    low, high = int(index.min()), int(index.max()) + 1
    if high - low <= SPAN_FACTOR * len(index):
        return read_rows(images, low, high)[index - low]
    rows = images[index]
    release_pages(images[low:high])
    return rows


def _start_trimmer() -> None:
    global _trimmer_pid
    with _lock:
        if _trimmer_pid == os.getpid():
            return
        _trimmer_pid = os.getpid()
    threading.Thread(target=_trim_forever, name="cnnstudio-trim-maps", daemon=True).start()


def _trim_forever() -> None:
    """Every TRIM_INTERVAL_S, drop the resident pages of every open map (they reload on the next read)."""
    while True:
        time.sleep(TRIM_INTERVAL_S)
        with _lock:
            _maps[:] = [m for m in _maps if not m.close_if_dead()]
            maps = list(_maps)
        for found in maps:
            memory = found.memory()
            if memory is not None:
                with contextlib.suppress(ValueError, OSError):
                    memory.madvise(mmap.MADV_DONTNEED)
            del memory  # the map may close as soon as its last tensor is gone


def chunks(count: int, rows: int = CHUNK_ROWS) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each block of ``rows`` in ``range(count)``."""
    for start in range(0, count, rows):
        yield start, min(start + rows, count)


def take_rows(images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``images[index]``: in memory for in-memory images; for disk-backed ones a view when ``index``
    is a run of consecutive rows, else a new unnamed image file beside theirs, written in chunks."""
    index = torch.as_tensor(index, dtype=torch.int64).reshape(-1)
    scratch = scratch_dir_of(images)
    if scratch is None or len(index) == 0:
        return images[index]
    first = int(index[0])
    if bool((index == torch.arange(first, first + len(index))).all()):
        return images[first : first + len(index)]
    writer = DiskImageWriter(int(images.shape[-1]), scratch_dir=scratch)
    for start, stop in chunks(len(index)):
        writer.append(gather_rows(images, index[start:stop]))
    return writer.finish()
