"""A grid of small captioned image tiles (filters, feature maps), painted, scaled up with nearest neighbour.

    grid = ImageGrid()
    grid.set_tiles([tile_a, tile_b], ["#0", "#1"])   # (h, w, 3) uint8 arrays
    grid.set_tiles(tiles, captions, columns=8)       # fixed columns: one row per filter

One widget paints every tile (no widget per tile), so 64 channels of 64x64
maps stay cheap. Tiles keep their native resolution in ``tiles``; only the
painting scales them, without smoothing, so a 3x3 kernel shows 9 crisp cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget

from cnnstudio.gui.widgets.images import to_qimage

GAP = 6  # pixels between tiles
CAPTION_HEIGHT = 14


class _Canvas(QWidget):
    """Paints the tiles; its height follows the number of rows that fit the width."""

    def __init__(self, grid: ImageGrid) -> None:
        super().__init__(grid)
        self.grid = grid
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.setMinimumHeight(self.grid.content_height(event.size().width()))

    def paintEvent(self, event: QPaintEvent) -> None:
        grid = self.grid
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        if not grid.images:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                             grid.placeholder)
            return
        columns = grid.columns_for(self.width())
        cell_w, cell_h = grid.cell_size()
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        visible = event.rect()
        for index, (image, caption) in enumerate(zip(grid.images, grid.captions)):
            row, column = divmod(index, columns)
            x, y = GAP + column * (cell_w + GAP), GAP + row * (cell_h + GAP)
            if not visible.intersects(QRect(x, y, cell_w, cell_h)):
                continue
            target = QRect(x, y, grid.tile_width, grid.tile_height)
            painter.drawImage(target, image)
            if caption:
                painter.drawText(QRect(x, y + grid.tile_height, cell_w, CAPTION_HEIGHT),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, caption)


class ImageGrid(QScrollArea):
    """A scrollable grid of (h, w, 3) uint8 tiles with captions; ``tiles`` and ``captions`` are what it shows."""

    def __init__(self, placeholder: str = "", min_tile: int = 48, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self.min_tile = min_tile
        self.tiles: list[np.ndarray] = []
        self.captions: list[str] = []
        self.images: list[QImage] = []
        self.fixed_columns = 0
        self.tile_width = self.tile_height = min_tile
        self.canvas = _Canvas(self)
        self.setWidget(self.canvas)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def set_tiles(self, tiles: Sequence[np.ndarray], captions: Sequence[str] | None = None, columns: int = 0,
                  min_tile: int | None = None) -> None:
        """Show ``tiles`` (all the same shape) at least ``min_tile`` px; ``columns`` > 0 fixes the number per row."""
        self.tiles = [np.ascontiguousarray(t) for t in tiles]
        self.captions = list(captions) if captions is not None else [""] * len(self.tiles)
        self.images = [to_qimage(t) for t in self.tiles]
        self.fixed_columns = columns
        if self.tiles:
            height, width = self.tiles[0].shape[:2]
            # Integer nearest-neighbour scale so every source pixel is the same size on screen.
            scale = max(1, math.ceil((min_tile or self.min_tile) / max(height, width)))
            self.tile_width, self.tile_height = width * scale, height * scale
        self._relayout()

    def clear(self, placeholder: str | None = None) -> None:
        """Show no tiles, only the placeholder text."""
        if placeholder is not None:
            self.placeholder = placeholder
        self.set_tiles([])

    def cell_size(self) -> tuple[int, int]:
        caption = CAPTION_HEIGHT if any(self.captions) else 0
        return max(self.tile_width, 28), self.tile_height + caption

    def columns_for(self, width: int) -> int:
        if self.fixed_columns:
            return self.fixed_columns
        cell_w, _ = self.cell_size()
        return max(1, (width - GAP) // (cell_w + GAP))

    def content_height(self, width: int) -> int:
        if not self.images:
            return 40
        rows = math.ceil(len(self.images) / self.columns_for(width))
        return GAP + rows * (self.cell_size()[1] + GAP)

    def _relayout(self) -> None:
        cell_w, _ = self.cell_size()
        min_width = GAP + self.fixed_columns * (cell_w + GAP) if self.fixed_columns else 0
        self.canvas.setMinimumWidth(min_width)
        width = max(self.viewport().width(), min_width)
        self.canvas.setMinimumHeight(self.content_height(width))
        self.canvas.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 260)
