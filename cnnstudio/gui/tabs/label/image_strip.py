"""The Label tab's list of the folder's images: thumbnails, each image's label, and a filter.

Thumbnails are decoded on worker threads as rows come into view, so a folder
of thousands of photos opens at once. Several thumbnails can be selected and
labelled together with a number key.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from cnnstudio.core.labels.label_set import ImageLabel, LabelSet
from cnnstudio.gui.tabs.label.image_cache import THUMBNAIL_SIDE, read_thumbnail
from cnnstudio.gui.widgets import palette

PathRole = Qt.ItemDataRole.UserRole
# Filter id -> its title in the filter box; class names are added after these.
FILTERS = {"all": "All images", "unlabelled": "Unlabelled", "suggested": "Suggested by the model",
           "unsure": "Unsure", "skip": "Skipped", "labelled": "Labelled"}


def label_caption(label: ImageLabel, kind: str) -> str:
    """A few words for a thumbnail: its class, box count or status."""
    if label.status in ("skip", "unsure"):
        return label.status
    if label.status == "unlabelled":
        return "-"
    prefix = "? " if label.suggested else ""
    if kind == "boxes":
        return f"{prefix}{len(label.boxes)} box{'es' if len(label.boxes) != 1 else ''}"
    return f"{prefix}{label.class_name or '-'}"


def matches(label: ImageLabel, wanted: str) -> bool:
    """True when an image with this label passes the filter ``wanted`` (a FILTERS id or a class name)."""
    if wanted == "all":
        return True
    if wanted == "unlabelled":
        return not label.counts and label.status not in ("skip", "unsure")
    if wanted == "suggested":
        return label.suggested
    if wanted in ("unsure", "skip"):
        return label.status == wanted
    if wanted == "labelled":
        return label.counts
    return label.counts and (label.class_name == wanted or any(b.class_name == wanted for b in label.boxes))


class ImageListModel(QAbstractListModel):
    """The images that pass the filter, in order, with lazily decoded thumbnails."""

    thumbnail_ready = Signal(str, QImage)  # path, thumbnail (from a worker thread; queued to the GUI thread)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.labels: LabelSet | None = None
        self.rows: list[str] = []
        self._thumbnails: dict[str, QPixmap] = {}
        self._requested: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cnnstudio-thumb")
        self.thumbnail_ready.connect(self._on_thumbnail)
        self._placeholder = QPixmap(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        self._placeholder.fill(QColor(palette.THUMBNAIL))

    def show(self, labels: LabelSet, rows: list[str]) -> None:
        self.beginResetModel()
        if labels is not self.labels:
            self._thumbnails.clear()
            self._requested.clear()
        self.labels, self.rows = labels, rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.labels is None:
            return None
        key = self.rows[index.row()]
        label = self.labels.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{key.rsplit('/', 1)[-1]}\n{label_caption(label, self.labels.kind)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(key, label)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{key}\n{label_caption(label, self.labels.kind)}"
        if role == PathRole:
            return key
        return None

    def refresh(self, keys: list[str]) -> None:
        """Redraw these images' rows (their labels changed)."""
        wanted = set(keys)
        for row, key in enumerate(self.rows):
            if key in wanted:
                self._thumbnails.pop(f"{key}#badge", None)
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def _thumbnail(self, key: str, label: ImageLabel) -> QPixmap:
        base = self._thumbnails.get(key)
        if base is None:
            if key not in self._requested and self.labels is not None:
                self._requested.add(key)
                path = str(self.labels.root / key)
                self._pool.submit(lambda: self.thumbnail_ready.emit(key, read_thumbnail(path)))
            base = self._placeholder
        return self._badged(base, label)

    def _badged(self, base: QPixmap, label: ImageLabel) -> QPixmap:
        """The thumbnail with a bar in its class's colour (grey when unlabelled) along the bottom."""
        if self.labels is None or not label.counts and not label.suggested:
            return base
        pixmap = QPixmap(base)
        painter = QPainter(pixmap)
        names = [label.class_name] if self.labels.kind != "boxes" else [b.class_name for b in label.boxes] or [None]
        width = max(1, pixmap.width() // max(1, len(names)))
        for position, name in enumerate(names):
            colour = QColor(self.labels.colour_of(name) if name else palette.UNLABELLED)
            if label.suggested:
                colour.setAlpha(120)
            painter.fillRect(position * width, pixmap.height() - 8, width, 8, colour)
        painter.end()
        return pixmap

    def _on_thumbnail(self, key: str, image: QImage) -> None:
        if image.isNull():
            image = QImage(THUMBNAIL_SIDE, THUMBNAIL_SIDE, QImage.Format.Format_RGB32)
            image.fill(QColor(palette.ERROR))
        self._thumbnails[key] = QPixmap.fromImage(image)
        if key in self.rows:
            index = self.index(self.rows.index(key))
            self.dataChanged.emit(index, index)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ImageStrip(QListView):
    """Thumbnails of the filtered images; picking one shows it, selecting several labels them together."""

    image_picked = Signal(str)  # path relative to the folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list_model = ImageListModel(self)
        self.setModel(self.list_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.setGridSize(QSize(THUMBNAIL_SIDE + 28, THUMBNAIL_SIDE + 44))
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setFixedHeight(THUMBNAIL_SIDE + 66)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the tab (next, classes, tools)
        self.setToolTip("Click a thumbnail to label it; Ctrl- or Shift-click several and press a class's number "
                        "key to label them all at once.")
        self.selectionModel().currentChanged.connect(self._on_current)

    def show_images(self, labels: LabelSet, rows: list[str], current: str | None) -> None:
        self.list_model.show(labels, rows)
        if current in rows:
            self.select_image(current)

    def select_image(self, key: str) -> None:
        if key in self.list_model.rows:
            index = self.list_model.index(self.list_model.rows.index(key))
            self.selectionModel().blockSignals(True)
            self.setCurrentIndex(index)
            self.selectionModel().blockSignals(False)
            self.scrollTo(index)

    def selected_images(self) -> list[str]:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return [self.list_model.rows[row] for row in rows]

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.image_picked.emit(self.list_model.rows[current.row()])

