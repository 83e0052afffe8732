"""Accepting a folder dragged from the file manager: shared by the dataset panel and the data view."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController


def dropped_folder(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The first local folder among the event's URLs, or None when it carries no folder."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None


class FolderDropMixin:
    """For a QWidget with a ``controller``: a folder dropped on it is opened as a dataset.

    List it before QWidget in the bases and call ``setAcceptDrops(True)``.
    """

    controller: StudioController

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if dropped_folder(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt override)
        if dropped_folder(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        folder = dropped_folder(event)
        if folder:
            event.acceptProposedAction()
            self.controller.select_dataset(folder)
