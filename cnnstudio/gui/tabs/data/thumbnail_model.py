"""ThumbnailModel: an ImageSet as a list model whose pixmaps are made only when the view asks for them.

A dataset of 10,000 images must scroll smoothly, so no widget is made per
image and no image is converted up front: ``data(DecorationRole)`` turns one
image into a pixmap the first time its cell is painted and keeps it in a
bounded LRU cache. Mask and box overlays are drawn into that pixmap.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap

from cnnstudio.gui.widgets.images import as_hwc, to_qimage

THUMB = 72  # pixels on a thumbnail's longer side
CACHE_LIMIT = 1500  # pixmaps kept; a screenful is a few hundred at most
MASK_TINT = np.array([255, 40, 40], dtype=np.float32)
BOX_COLOUR = QColor(255, 230, 0)

ClassIndexRole = Qt.ItemDataRole.UserRole + 1  # the image's label (int)
ImageIndexRole = Qt.ItemDataRole.UserRole + 2  # the image's row in the ImageSet (int)


def mask_overlay(image: Any, mask: Any, scale: int) -> np.ndarray:
    """(H*s, W*s, 3) uint8: ``image`` enlarged ``scale`` times, the mask tinted red with a solid red outline."""
    rgb = as_hwc(image)
    inside = np.asarray(mask.detach().cpu().numpy() if hasattr(mask, "detach") else mask) > 0
    if scale > 1:  # enlarge first so the outline is one thin line, not a fat pixel border
        rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
        inside = inside.repeat(scale, axis=0).repeat(scale, axis=1)
    padded = np.pad(inside, 1, mode="edge")
    core = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & inside
    edge = inside & ~core
    out = rgb.astype(np.float32)
    out[inside] = out[inside] * 0.6 + MASK_TINT * 0.4
    out[edge] = MASK_TINT
    return out.astype(np.uint8)


class ThumbnailModel(QAbstractListModel):
    """One row per shown image (all, or one class's): label text, a lazily made thumbnail, a tooltip."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.imageset: Any = None
        self.rows: list[int] = []  # ImageSet indices shown, in order
        self.class_filter: int | None = None
        self.show_masks = False
        self.show_boxes = False
        self.pixmaps_made = 0  # how many pixmaps were ever converted (the laziness check reads it)
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()

    # ---- content ----------------------------------------------------------------
    def set_imageset(self, imageset: Any) -> None:
        """Show ``imageset`` (None shows nothing); the class filter and overlays are reset."""
        self.beginResetModel()
        self.imageset = imageset
        self.class_filter = None
        self.show_masks = self.show_masks and self.has_masks
        self.show_boxes = self.show_boxes and self.has_boxes
        self._cache.clear()
        self.rows = list(range(len(imageset))) if imageset is not None else []
        self.endResetModel()

    def set_class_filter(self, class_index: int | None) -> None:
        """Show only the images labelled ``class_index`` (None: all of them)."""
        self.beginResetModel()
        self.class_filter = class_index
        if self.imageset is None:
            self.rows = []
        elif class_index is None:
            self.rows = list(range(len(self.imageset)))
        else:
            self.rows = np.flatnonzero(self.imageset.labels.numpy() == class_index).tolist()
        self.endResetModel()

    def set_overlays(self, masks: bool, boxes: bool) -> None:
        """Draw masks and/or boxes onto the thumbnails (ignored where the set has none)."""
        masks, boxes = masks and self.has_masks, boxes and self.has_boxes
        if (masks, boxes) == (self.show_masks, self.show_boxes):
            return
        self.show_masks, self.show_boxes = masks, boxes
        self._cache.clear()
        if self.rows:
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1), [Qt.ItemDataRole.DecorationRole])

    @property
    def has_masks(self) -> bool:
        return self.imageset is not None and self.imageset.masks is not None

    @property
    def has_boxes(self) -> bool:
        return self.imageset is not None and self.imageset.boxes is not None

    @property
    def cached_pixmaps(self) -> int:
        """How many thumbnails are held right now."""
        return len(self._cache)

    # ---- QAbstractListModel -----------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.imageset is None or index.row() >= len(self.rows):
            return None
        image_index = self.rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(image_index)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.class_name(image_index)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(image_index)
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(THUMB + 16, THUMB + 26)
        if role == ClassIndexRole:
            return int(self.imageset.labels[image_index])
        if role == ImageIndexRole:
            return image_index
        return None

    def class_name(self, image_index: int) -> str:
        return str(self.imageset.class_names[int(self.imageset.labels[image_index])])

    def _tooltip(self, image_index: int) -> str:
        imageset = self.imageset
        height, width = imageset.image_size
        lines = [f"<b>{self.class_name(image_index)}</b>", f"source: {imageset.sources[image_index]}",
                 f"{width} x {height} pixels, image #{image_index}"]
        if imageset.masks is not None:
            share = float(imageset.masks[image_index].float().mean())
            lines.append(f"mask covers {share:.1%} of the image" if share else "no masked pixels")
        if imageset.boxes is not None:
            lines.append(f"{len(imageset.boxes[image_index])} box(es)")
        return "<br>".join(lines)

    # ---- thumbnails -------------------------------------------------------------
    def thumbnail(self, image_index: int) -> QPixmap:
        """The image's thumbnail with the chosen overlays, made on first use and cached."""
        pixmap = self._cache.get(image_index)
        if pixmap is not None:
            self._cache.move_to_end(image_index)
            return pixmap
        pixmap = self._make(image_index)
        self.pixmaps_made += 1
        self._cache[image_index] = pixmap
        if len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)
        return pixmap

    def _make(self, image_index: int) -> QPixmap:
        imageset = self.imageset
        image = imageset.images[image_index]
        height, width = imageset.image_size
        scale = max(1, THUMB // max(height, width))
        if self.show_masks:
            qimage = to_qimage(mask_overlay(image, imageset.masks[image_index], scale))
        else:
            qimage = to_qimage(image)
        # Small images are enlarged without smoothing: a blurred 16-pixel image hides what the model sees.
        mode = Qt.TransformationMode.SmoothTransformation if max(height, width) > THUMB else Qt.TransformationMode.FastTransformation
        pixmap = QPixmap.fromImage(qimage.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, mode))
        if self.show_boxes:
            self._draw_boxes(pixmap, imageset.boxes[image_index], pixmap.width() / width)
        return pixmap

    @staticmethod
    def _draw_boxes(pixmap: QPixmap, boxes: Any, factor: float) -> None:
        painter = QPainter(pixmap)
        painter.setPen(QPen(BOX_COLOUR, 2))
        for x0, y0, x1, y1 in np.asarray(boxes, dtype=np.float32).reshape(-1, 4).tolist():
            painter.drawRect(QRectF(x0 * factor, y0 * factor, (x1 - x0) * factor, (y1 - y0) * factor))
        painter.end()
