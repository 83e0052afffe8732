"""Accepting a folder dragged from the file manager: shared by the dataset panel and the data view."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent


def dropped_folder(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The first local folder among the event's URLs, or None when it carries no folder."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None
