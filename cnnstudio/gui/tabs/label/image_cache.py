"""Full-size photos for the Label tab, decoded ahead of time so "next image" shows at once.

    cache = PhotoCache()
    image = cache.get(path)            # decodes now if not prefetched (tens of ms for a 2000 px JPEG)
    cache.prefetch([next1, next2])     # decoded on worker threads while the person labels

QImage is not a QObject, so worker threads may make them; Qt's image reader
releases the GIL while it decodes. EXIF orientation is applied, as the
importers do, so masks and boxes line up with what training sees.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtGui import QImage, QImageReader

KEEP = 8  # photos kept decoded (a 2000 x 1500 photo is 12 MB as RGB32)
THUMBNAIL_SIDE = 96


def read_photo(path: str) -> QImage:
    """The photo at ``path`` with EXIF orientation applied; a null QImage when it cannot be read."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        return image
    if image.format() not in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32):
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    return image


def read_thumbnail(path: str, side: int = THUMBNAIL_SIDE) -> QImage:
    """A small version of the photo, decoded at reduced size where the format allows (JPEG)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        scale = side / max(size.width(), size.height())
        reader.setScaledSize(size * scale)
    return reader.read()


class PhotoCache:
    """The last few photos, decoded; ``prefetch`` decodes the next ones on worker threads."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnnstudio-photo")
        self._lock = threading.Lock()
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pending: dict[str, Future] = {}

    def get(self, path: str) -> QImage:
        """The decoded photo: from the cache, from a prefetch in flight, or decoded now."""
        with self._lock:
            image = self._images.get(path)
            if image is not None:
                self._images.move_to_end(path)
                return image
            pending = self._pending.get(path)
        image = pending.result() if pending is not None else read_photo(path)
        self._keep(path, image)
        return image

    def prefetch(self, paths: list[str]) -> None:
        """Start decoding these photos (those not cached or in flight already)."""
        started = []
        with self._lock:
            for path in paths:
                if path not in self._images and path not in self._pending:
                    self._pending[path] = future = self._pool.submit(read_photo, path)
                    started.append((path, future))
        for path, future in started:  # outside the lock: a finished future calls back at once
            future.add_done_callback(lambda done, path=path: self._finished(path, done))

    def _finished(self, path: str, future: Future) -> None:
        try:
            image = future.result()
        except Exception:  # noqa: BLE001 - get() decodes again and shows the error there
            image = None
        with self._lock:
            self._pending.pop(path, None)
        if image is not None:
            self._keep(path, image)

    def _keep(self, path: str, image: QImage) -> None:
        with self._lock:
            self._images[path] = image
            self._images.move_to_end(path)
            while len(self._images) > KEEP:
                self._images.popitem(last=False)

    def forget(self, path: str | None = None) -> None:
        """Drop one photo (it changed on disk) or all of them."""
        with self._lock:
            if path is None:
                self._images.clear()
            else:
                self._images.pop(path, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
