"""The images of one confusion-matrix cell, worst first, with probabilities, loss and an optional overlay.

    gallery = MistakesGallery(GradCamLoader(RunModelCache(controller)))
    gallery.show_cell(run_dir, report, true_class=1, predicted_class=0)
    gallery.overlay_box.setCurrentText(GRADCAM)     # Grad-CAM maps fill in from a worker thread
    gallery.tile_images()                          # the (S, S, 3) uint8 tiles shown, in loss order

Each tile is the image at the model's input size (what the model saw),
scaled up without smoothing, captioned "true -> predicted", the two most
likely classes and the image's loss. One widget paints every tile.
Double-clicking a tile emits ``image_chosen`` with its report position; its
context menu also offers "Fix its label", which emits ``label_fix_chosen``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QScrollArea, QToolTip, QVBoxLayout, QWidget

from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.box_overlay import image_with_boxes
from cnnstudio.gui.widgets.images import as_hwc, overlay_heatmap, to_qimage
from cnnstudio.gui.workers.gradcam_loader import GradCamLoader

MAX_TILES = 200
TILE_PX = 112  # at least this many screen pixels per image side
GAP = 8
CAPTION_LINES = 4
NO_OVERLAY, GRADCAM, HEAD_MAP = "None", "Grad-CAM", "Head heat map"
OVERLAY_TIP = ("What to draw over each image:\n"
               "Grad-CAM: which parts of the image pushed the model toward the class it decided "
               "(gradients of that class's score at a conv layer).\n"
               "Head heat map: the defect map the head itself draws (heat-map heads only).")
LAYER_TIP = ("The backbone layer Grad-CAM looks at. The last conv layer (default) sees whole objects but coarsely; "
             "earlier layers show finer detail but simpler patterns.")


class _Canvas(QWidget):
    """Paints the gallery's tiles and captions; tooltips per tile."""

    def __init__(self, gallery: MistakesGallery) -> None:
        super().__init__(gallery)
        self.gallery = gallery

    def cell(self) -> tuple[int, int, int]:
        """(tile px, cell width, cell height)."""
        tile = self.gallery.tile_px
        line = self.fontMetrics().height()
        return tile, max(tile, 132), tile + CAPTION_LINES * line + 4

    def columns(self) -> int:
        return max(1, (self.width() - GAP) // (self.cell()[1] + GAP))

    def layout_height(self) -> int:
        count = len(self.gallery.images)
        rows = math.ceil(count / self.columns()) if count else 0
        return GAP + rows * (self.cell()[2] + GAP)

    def tile_at(self, x: int, y: int) -> int:
        """The index of the tile under a point, or -1."""
        _, width, height = self.cell()
        column, row = (x - GAP) // (width + GAP), (y - GAP) // (height + GAP)
        index = row * self.columns() + column
        return index if 0 <= column < self.columns() and 0 <= index < len(self.gallery.images) else -1

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.setMinimumHeight(self.layout_height())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.tile_at(event.pos().x(), event.pos().y())
            if index >= 0:
                QToolTip.showText(event.globalPos(), self.gallery.tooltips[index], self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.tile_at(event.pos().x(), event.pos().y())
        if index < 0:
            return
        position = self.gallery.positions[index]
        menu = QMenu(self)
        menu.addAction("Try this image", lambda: self.gallery.image_chosen.emit(position))
        fix = menu.addAction("Fix its label in the Label tab", lambda: self.gallery.label_fix_chosen.emit(position))
        fix.setEnabled(self.gallery.can_fix(position))
        fix.setToolTip("Open the photo in the Label tab to correct its label; the next run trains on the fix.")
        menu.exec(event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.tile_at(int(event.position().x()), int(event.position().y()))
        if index >= 0:
            self.gallery.image_chosen.emit(self.gallery.positions[index])
        else:
            super().mouseDoubleClickEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        tile, width, height = self.cell()
        line = self.fontMetrics().height()
        columns = self.columns()
        for index, (image, lines) in enumerate(zip(self.gallery.images, self.gallery.captions)):
            row, column = divmod(index, columns)
            x, y = GAP + column * (width + GAP), GAP + row * (height + GAP)
            if not event.rect().intersects(QRect(x, y, width, height)):
                continue
            painter.drawImage(QRect(x + (width - tile) // 2, y, tile, tile), image)
            for number, text in enumerate(lines):
                if number == 0:
                    font = painter.font()
                    font.setBold(True)
                    painter.setFont(font)
                text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width)
                painter.drawText(QRect(x, y + tile + 2 + number * line, width, line), Qt.AlignmentFlag.AlignHCenter,
                                 text)
                if number == 0:
                    font.setBold(False)
                    painter.setFont(font)


class MistakesGallery(QWidget):
    """One cell's images, worst first, with an overlay chooser (None / Grad-CAM / head heat map)."""

    image_chosen = Signal(int)  # the report position of a double-clicked tile
    label_fix_chosen = Signal(int)  # the report position of a tile whose label is to be fixed (context menu)

    def __init__(self, gradcams: GradCamLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gradcams = gradcams
        self.run_dir = ""
        self.report: Any = None
        self.positions: list[int] = []  # report positions shown, in loss order
        self.total = 0  # images in the cell (the gallery shows at most MAX_TILES)
        self.maps: dict[int, np.ndarray] = {}  # Grad-CAM maps received for the current cell and layer
        self.tiles: list[np.ndarray] = []
        self.images: list[Any] = []
        self.captions: list[list[str]] = []
        self.tooltips: list[str] = []
        self.tile_px = TILE_PX
        self._build()
        gradcams.ready.connect(self._on_gradcam)

    def _build(self) -> None:
        self.title = QLabel("Click a cell of the confusion matrix to see its images here, the worst first.")
        self.title.setWordWrap(True)
        self.overlay_box = QComboBox()
        self.overlay_box.addItems([NO_OVERLAY, GRADCAM, HEAD_MAP])
        self.overlay_box.setToolTip(OVERLAY_TIP)
        self.overlay_box.currentTextChanged.connect(self._on_overlay)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip(LAYER_TIP)
        self.layer_box.setEnabled(False)
        self.layer_box.currentTextChanged.connect(self._on_layer)
        self.status = QLabel("")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Overlay:"))
        bar.addWidget(self.overlay_box)
        bar.addWidget(QLabel("Grad-CAM layer:"))
        bar.addWidget(self.layer_box)
        bar.addWidget(self.status, 1)
        self.canvas = _Canvas(self)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)

    # ---- what to show -------------------------------------------------------------
    def clear(self, text: str = "Click a cell of the confusion matrix to see its images here, the worst first.") -> None:
        """Show no images."""
        self.report, self.positions, self.total, self.maps = None, [], 0, {}
        self.title.setText(text)
        self.status.setText("")
        self._render()

    def show_cell(self, run_dir: str, report: Any, true_class: int, predicted_class: int) -> None:
        """Show the images of one confusion cell of ``report``, the highest loss first."""
        self.run_dir, self.report = str(run_dir), report
        members = report.members(true_class, predicted_class)
        self.total, self.positions = len(members), members[:MAX_TILES]
        names = report.class_names
        true_name, predicted_name = names[true_class], names[predicted_class]
        images = "image" if self.total == 1 else "images"
        if true_class == predicted_class:
            what = f"{self.total} '{true_name}' {images} correctly called '{true_name}', the least confident first"
        else:
            what = f"{self.total} '{true_name}' {images} called '{predicted_name}', the worst (highest loss) first"
        shown = f" (showing the {MAX_TILES} worst of {self.total})" if self.total > MAX_TILES else ""
        self.title.setText(f"<b>{what}</b>{shown}" if self.total else f"No '{true_name}' image was called "
                           f"'{predicted_name}'.")
        has_map = report.heatmaps is not None
        item = self.overlay_box.model().item(self.overlay_box.findText(HEAD_MAP))
        item.setEnabled(has_map)
        item.setToolTip("" if has_map else "This run's head draws no heat map.")
        if not has_map and self.overlay_box.currentText() == HEAD_MAP:
            self.overlay_box.setCurrentText(NO_OVERLAY)
        self.maps = self.gradcams.cached(self.run_dir, report, self.layer_box.currentText())
        self._render()
        self._request_gradcam()

    def can_fix(self, position: int) -> bool:
        """True when the tile came from a file on disk (a folder of photos), so its label can be fixed."""
        sources = getattr(self.report, "sources", None) or []
        return position < len(sources) and Path(sources[position]).is_file()

    def tile_images(self) -> list[np.ndarray]:
        """The (S, S, 3) uint8 tiles shown (before scaling for the screen), in loss order."""
        return list(self.tiles)

    # ---- overlays -----------------------------------------------------------------
    def _on_overlay(self, _text: str) -> None:
        self.status.setText("")
        self.layer_box.setEnabled(self.overlay_box.currentText() == GRADCAM and self.layer_box.count() > 0)
        self._render()
        self._request_gradcam()

    def _on_layer(self, layer: str) -> None:
        if self.report is None or not layer:
            return
        self.maps = self.gradcams.cached(self.run_dir, self.report, layer)
        self._render()
        self._request_gradcam()

    def _request_gradcam(self) -> None:
        if self.overlay_box.currentText() != GRADCAM or not self.positions:
            return
        if all(p in self.maps for p in self.positions):
            return
        self.status.setText(f"Computing Grad-CAM for {len(self.positions)} images...")
        self.gradcams.request(self.run_dir, self.report, self.layer_box.currentText(), self.positions)

    def _on_gradcam(self, run_dir: str, split: str, layer: str, maps: dict, names: list, error: str) -> None:
        if self.report is None or run_dir != self.run_dir or split != self.report.split:
            return
        if names and self.layer_box.count() == 0:
            self.layer_box.blockSignals(True)
            self.layer_box.addItems(names)
            self.layer_box.setCurrentText(layer)
            self.layer_box.blockSignals(False)
            self.layer_box.setEnabled(self.overlay_box.currentText() == GRADCAM)
        if error:
            self.status.setText(palette.error_html(error))
            return
        if layer != self.layer_box.currentText():
            return  # an answer for a layer no longer chosen
        self.maps.update({p: m for p, m in maps.items() if p in self.positions})
        done = sum(p in self.maps for p in self.positions)
        self.status.setText(f"Grad-CAM of the decided class at {layer}: yellow = strongest evidence"
                            if done == len(self.positions) else f"Grad-CAM: {done} of {len(self.positions)}...")
        self._render()

    def reset_layers(self) -> None:
        """Forget the layer list (another run may have other layers)."""
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.blockSignals(False)
        self.layer_box.setEnabled(False)

    # ---- painting -----------------------------------------------------------------
    def _render(self) -> None:
        report, mode = self.report, self.overlay_box.currentText()
        self.tiles, self.captions, self.tooltips = [], [], []
        for position in self.positions if report is not None else []:
            image = as_hwc(report.images[position])  # (S, S, 3) uint8: what the model saw
            if mode == GRADCAM and position in self.maps:
                image = overlay_heatmap(image, self.maps[position])
            elif mode == HEAD_MAP and report.heatmaps is not None:
                image = overlay_heatmap(image, np.asarray(report.heatmaps[position]))
            self.tiles.append(image)
            self.captions.append(_caption(report, position))
            self.tooltips.append(_tooltip(report, position))
        self.images = [to_qimage(tile) for tile in self.tiles]
        if self.tiles:
            side = self.tiles[0].shape[0]
            self.tile_px = side * max(1, math.ceil(TILE_PX / side))
        if report is not None and report.detections is not None:  # every box the head found, with its score
            self.images = [image_with_boxes(image, self.tile_px, report.detections[position], report.threshold)
                           for image, position in zip(self.images, self.positions)]
        self.canvas.setMinimumHeight(self.canvas.layout_height())
        self.canvas.update()


def _top_classes(report: Any, position: int, count: int = 2) -> list[tuple[str, float]]:
    probabilities = report.probabilities[position]
    order = sorted(range(len(probabilities)), key=lambda k: -probabilities[k])[:count]
    return [(report.class_names[k], probabilities[k]) for k in order]


def _caption(report: Any, position: int) -> list[str]:
    names = report.class_names
    lines = [f"{names[report.labels[position]]} \u2192 {names[report.predicted[position]]}"]
    lines += [f"{name} {p:.0%}" for name, p in _top_classes(report, position)]
    lines.append(f"loss {report.losses[position]:.2f}")
    if report.detections is not None:  # on the loss line: the tile has room for CAPTION_LINES lines
        found = sum(1 for b in report.detections[position] if report.threshold is None or b["score"] >= report.threshold)
        lines[-1] += f", {found} box{'' if found == 1 else 'es'}"
    return lines


def _tooltip(report: Any, position: int) -> str:
    names = report.class_names
    lines = [f"{report.sources[position]}" if report.sources else f"image {report.indices[position]}",
             f"true class: {names[report.labels[position]]}; decided: {names[report.predicted[position]]}"]
    lines += [f"  p({name}) = {p:.3f}" for name, p in zip(names, report.probabilities[position])]
    if report.scores is not None and report.threshold is not None:
        lines.append(f"score {report.scores[position]:.3f} against threshold {report.threshold:.3f}")
    lines.append(f"loss {report.losses[position]:.3f} = -log p(true class): how wrong, not just whether")
    lines.append("Double-click: open it in Try an image, to explain it with other layers and classes.")
    return "\n".join(lines)
