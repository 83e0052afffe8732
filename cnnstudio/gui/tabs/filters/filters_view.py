"""The Filters & feature maps tab: what each conv layer has learned, and what it sees in an image.

Filters come from the training child's Snapshot events while a run trains,
and from the run's weights once a run is opened (``controller.run_opened``).
Feature maps of the snapshot images come with the Snapshot; for any image of
the run's own dataset (``RunImages``: the loaded one when it is the run's,
else loaded from the run's config) the run's model is loaded once (on a
worker) and run on the GUI thread, which takes a few milliseconds for the
models this app builds.
While the tab is hidden nothing is drawn or loaded: the latest Snapshot and
the run to open are kept and shown when the tab is (drawing tiles and loading
a model in the GUI process would make the window stutter while a run trains).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QShowEvent
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QSplitter, QVBoxLayout, QWidget

from cnnstudio.gui.tabs.filters.run_images import RunImages
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.image_grid import ImageGrid
from cnnstudio.gui.widgets.images import to_qimage
from cnnstudio.gui.widgets.run_identity import identify_run, run_caption
from cnnstudio.gui.widgets.tiles import feature_map_tiles, filter_tiles
from cnnstudio.gui.workers.run_model_cache import RunModelCache, layer_activations, model_filters

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

NO_RUN = "No filters yet: start training (Train tab) or open a run (Runs tab)."
SNAPSHOT, DATASET = "snapshot", "dataset"
GALLERY_TIP = (
    "Each tile is one filter (kernel) of this layer, enlarged so every weight is a visible square. "
    "A filter slides over the image and lights up where the image looks like it.\n"
    "First-layer filters read the red, green and blue channels, so they show as colours; trained ones "
    "often become edge and colour-blob detectors. Deeper filters read the previous layer's maps, "
    "so they are shown in grey.\n"
    "Each filter is scaled by its own darkest and brightest weight: compare patterns, not strength. "
    "Random-looking noise after many epochs can mean the layer learned little."
)
MAPS_TIP = (
    "Feature maps: where in the image each filter of this layer fires (bright = strong response, "
    "after batch-norm and the activation, before pooling). Early layers respond to edges and colours "
    "at full resolution; deeper layers to larger parts at lower resolution. Each channel is scaled on its own; "
    "an all-grey tile is a channel that does not respond at all."
)


class FiltersView(QWidget):
    """Filter gallery per conv layer and the feature maps of a chosen image."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.filters: dict[str, np.ndarray] = {}
        self.snapshot: Any = None  # the latest Snapshot of the live (or just finished) run
        self.snapshot_run = ""  # run folder the snapshot belongs to
        self.run_dir = ""  # run whose filters are shown
        self.model: Any = None  # its TrainedModel, once loaded
        self.last_map_ms: float | None = None  # time of the last feature-map computation
        self._pending_snapshot: Any = None  # the latest Snapshot received while hidden
        self._pending_open = ""  # a run opened while hidden
        self._stale_model = False  # new "last" weights were written while hidden
        self._model_pending = ""  # the run whose model is being loaded
        self.cache = RunModelCache(controller, self)
        self.cache.ready.connect(self._on_model_ready)
        self.run_images = RunImages(controller, self)  # the shown run's own dataset, never another one
        self._build()
        self.run_images.changed.connect(self._update_sources)
        controller.run_event.connect(self._on_run_event)
        controller.run_opened.connect(self.open_run)
        self._update_sources()

    # ---- layout -------------------------------------------------------------------
    def _build(self) -> None:
        self.run_label = QLabel(NO_RUN)
        self.run_label.setWordWrap(True)
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The conv layer whose filters and feature maps are shown.")
        self.layer_combo.setMinimumContentsLength(8)
        self.layer_combo.currentIndexChanged.connect(lambda *_: self.refresh())
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("one tile per filter (mean over inputs)", "mean")
        self.mode_combo.addItem("one row per filter (every input channel)", "channels")
        self.mode_combo.setToolTip("A deeper filter has a k x k kernel for every channel of the previous layer: "
                                   "show their mean, or each of them in a row.")
        self.mode_combo.currentIndexChanged.connect(lambda *_: self._show_filters())
        top = QHBoxLayout()
        for widget in (QLabel("Layer:"), self.layer_combo, QLabel("Deeper layers:"), self.mode_combo):
            top.addWidget(widget)
        top.addStretch(1)

        self.filter_grid = ImageGrid(NO_RUN, min_tile=42)
        self.filter_grid.setToolTip(GALLERY_TIP)
        self.filter_info = QLabel("")
        self.filter_info.setWordWrap(True)
        filters_box = QGroupBox("Filters")
        filters_layout = QVBoxLayout(filters_box)
        filters_layout.addWidget(self.filter_grid, 1)
        filters_layout.addWidget(self.filter_info)

        self.source_combo = QComboBox()
        self.source_combo.setToolTip("Snapshot images: the fixed validation images the training run reports "
                                     "each epoch. Dataset images: any image of the dataset the run was trained on.")
        self.source_combo.currentIndexChanged.connect(lambda *_: self._on_source_changed())
        # Sized to the room it gets, not to its first items: a long dataset title is elided, the list shows it all.
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_combo.setMinimumContentsLength(14)
        self.image_spin = QSpinBox()
        self.image_spin.setToolTip("Which image (its index in the chosen source).")
        self.image_spin.valueChanged.connect(lambda *_: self._show_maps())
        self.image_label = QLabel()
        self.image_label.setFixedSize(96, 96)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setToolTip("The chosen image, resized as the model sees it.")
        self.maps_info = QLabel("")
        self.maps_info.setWordWrap(True)
        pick = QHBoxLayout()
        for widget in (QLabel("Image from:"), self.source_combo, QLabel("#"), self.image_spin):
            pick.addWidget(widget, 1 if widget is self.source_combo else 0)
        side = QVBoxLayout()
        side.addLayout(pick)
        row = QHBoxLayout()
        row.addWidget(self.image_label)
        row.addWidget(self.maps_info, 1)
        side.addLayout(row)
        self.map_grid = ImageGrid("Feature maps appear here once a run has filters.", min_tile=56)
        self.map_grid.setToolTip(MAPS_TIP)
        maps_box = QGroupBox("Feature maps")
        maps_layout = QVBoxLayout(maps_box)
        maps_layout.addLayout(side)
        maps_layout.addWidget(self.map_grid, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(filters_box)
        splitter.addWidget(maps_box)
        splitter.setSizes([460, 540])
        layout = QVBoxLayout(self)
        layout.addWidget(self.run_label)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # ---- inputs -------------------------------------------------------------------
    def _on_run_event(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "RunStarted":
            self.run_dir, self.model, self.snapshot = event.run_dir, None, None
            self.snapshot_run = event.run_dir
            self.run_images.use_run(event.run_dir)
            self.run_label.setText(f"Training {Path(event.run_dir).name}: filters appear after the first epoch.")
            self._pending_snapshot, self._stale_model, self._pending_open = None, False, ""
        elif kind == "Snapshot":
            if self.isVisible():
                self.show_snapshot(event)
            else:
                self._pending_snapshot = event  # only the latest is ever drawn
        elif kind == "CheckpointWritten" and event.kind == "last" and self.current_source() == DATASET:
            if self.isVisible():
                self.cache.request(self.run_dir, "last")  # dataset images follow the training weights
            else:
                self._stale_model = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        snapshot, self._pending_snapshot = self._pending_snapshot, None
        stale, self._stale_model = self._stale_model, False
        run_dir, self._pending_open = self._pending_open, ""
        if snapshot is not None:
            self.show_snapshot(snapshot)
        if run_dir:
            self.open_run(run_dir)
        elif stale and self.current_source() == DATASET and self.run_dir:
            self.cache.request(self.run_dir, "last")

    def show_snapshot(self, snapshot: Any) -> None:
        """Show a Snapshot's filters and make its images available for feature maps."""
        self.snapshot = snapshot
        if not self.snapshot_run:
            self.snapshot_run = self.run_dir
        self.filters = dict(snapshot.filters)
        name = Path(self.run_dir).name if self.run_dir else "the run"
        self.run_label.setText(f"Training {name}: filters after epoch {snapshot.epoch}.")
        self._set_layers(list(self.filters))
        self._update_sources()
        self.refresh()

    def open_run(self, run_dir: str) -> None:
        """Show a past or finished run: its filters from its weights, feature maps for any image."""
        run_dir = str(run_dir)
        if not self.isVisible():  # loaded when the tab is shown
            self._pending_open = run_dir
            return
        if run_dir != self.snapshot_run:
            self.snapshot, self.snapshot_run = None, ""
        self.run_dir, self.model = run_dir, None
        self.run_label.setText(f"Loading {Path(run_dir).name}...")
        self._request_model()  # first: the sources it updates must not ask for the model again
        self.run_images.use_run(run_dir)

    def _request_model(self) -> None:
        self._model_pending = self.run_dir
        self.cache.request(self.run_dir, "last")

    def _on_model_ready(self, run_dir: str, which: str, model: Any, error: str) -> None:
        if run_dir != self.run_dir:
            return  # an older request
        self._model_pending = ""
        if model is None:
            if self.controller.process is not None:  # training: no checkpoint yet, try again at the next one
                self.maps_info.setText("Feature maps of dataset images appear after the first checkpoint.")
                return
            self.run_label.setText(palette.error_html(error))
            return
        self.model = model
        live = self.controller.process is not None and self.snapshot is not None
        if not live:
            self.filters = model_filters(model)
            caption = run_caption(identify_run(run_dir, self.controller))
            first, _, note = caption.partition("<br>")
            self.run_label.setText(f"{first} ({which} weights): {len(self.filters)} conv layers, "
                                   f"input {model.input_size} px." + (f"<br>{note}" if note else ""))
            self._set_layers(list(self.filters))
        self._update_sources()
        if not live and self.run_images.imageset() is not None:
            self.source_combo.setCurrentIndex(max(0, self.source_combo.findData(DATASET)))
        self.refresh()

    # ---- state helpers --------------------------------------------------------------
    def _set_layers(self, names: list[str]) -> None:
        current = self.layer_combo.currentText()
        if [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())] == names:
            return
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(names)
        if current in names:
            self.layer_combo.setCurrentText(current)
        self.layer_combo.blockSignals(False)

    def _update_sources(self) -> None:
        current = self.source_combo.currentData()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        if self.snapshot is not None and len(self.snapshot.images):
            self.source_combo.addItem(f"training snapshot ({len(self.snapshot.images)} images)", SNAPSHOT)
        imageset = self.run_images.imageset()
        if imageset is not None and len(imageset.images):
            own = "" if self.run_images.uses_loaded() else ", the run's own"
            self.source_combo.addItem(f"dataset {self.run_images.title} ({len(imageset.images)} images{own})", DATASET)
        index = self.source_combo.findData(current)
        self.source_combo.setCurrentIndex(index if index >= 0 else 0)
        self.source_combo.blockSignals(False)
        self._on_source_changed()

    def _on_source_changed(self) -> None:
        images = self._images()
        self.image_spin.blockSignals(True)
        self.image_spin.setRange(0, max(0, len(images) - 1) if images is not None else 0)
        self.image_spin.blockSignals(False)
        # The run's own images may arrive before its model: one request is enough.
        wanted = self.current_source() == DATASET and self.model is None and self.run_dir
        if wanted and self._model_pending != self.run_dir:
            self._request_model()
        self._show_maps()

    def current_source(self) -> str:
        return str(self.source_combo.currentData() or "")

    def current_layer(self) -> str:
        return self.layer_combo.currentText()

    def _images(self) -> Any:
        if self.current_source() == SNAPSHOT and self.snapshot is not None:
            return self.snapshot.images
        imageset = self.run_images.imageset()
        if self.current_source() == DATASET and imageset is not None:
            return imageset.images
        return None

    # ---- drawing ------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the gallery and the feature maps for the current layer and image."""
        self._show_filters()
        self._show_maps()

    def _show_filters(self) -> None:
        weights = self.filters.get(self.current_layer())
        if weights is None:
            self.filter_grid.clear(NO_RUN)
            self.filter_info.setText("")
            return
        first = weights.shape[1] == 3
        self.mode_combo.setEnabled(not first)
        mode = "mean" if first else str(self.mode_combo.currentData())
        tiles, captions, columns = filter_tiles(weights, mode)
        self.filter_grid.set_tiles(tiles, captions, columns, min_tile=24 if mode == "channels" else 56)
        out_channels, in_channels, kh, kw = weights.shape
        kind = "colour tiles (RGB inputs)" if first else f"grey, {in_channels} input channels each"
        if mode == "channels" and not first:
            kind += " (a row per filter, a column per input channel)"
        self.filter_info.setText(f"{self.current_layer()}: {out_channels} filters of {kh}x{kw}, {kind}.")

    def _show_maps(self) -> None:
        layer, images = self.current_layer(), self._images()
        if not layer or images is None or not len(images):
            # Why there are no dataset images for this run (loading its own dataset, or it cannot be loaded).
            why = self.run_images.status
            self.map_grid.clear(why or "Feature maps: pick a layer and an image (load a dataset or train a run).")
            self.image_label.clear()
            self.maps_info.setText(why)
            return
        index = min(self.image_spin.value(), len(images) - 1)
        maps, note = self._maps_for(layer, images, index)
        image = self._as_model_sees(images[index])
        pixmap = QPixmap.fromImage(to_qimage(image)).scaled(
            96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        self.image_label.setPixmap(pixmap)
        if maps is None:
            self.map_grid.clear(note)
            self.maps_info.setText(note)
            return
        tiles, captions = feature_map_tiles(maps)
        self.map_grid.set_tiles(tiles, captions)
        channels, height, width = maps.shape
        self.maps_info.setText(f"{layer}: {channels} channels of {height}x{width} for image #{index}{note}.")

    def _as_model_sees(self, image: Any) -> Any:
        if self.model is not None and hasattr(image, "detach") and tuple(image.shape[-2:]) != (self.model.input_size,) * 2:
            from cnnstudio.core.data.splits import resize_images  # torch is loaded once a model exists

            return resize_images(image[None], self.model.input_size)[0][0]
        return image

    def _maps_for(self, layer: str, images: Any, index: int) -> tuple[np.ndarray | None, str]:
        """(channels, h, w) activations of ``layer`` for image ``index``, and a note for the info line."""
        if self.current_source() == SNAPSHOT and layer in self.snapshot.feature_maps:
            return self.snapshot.feature_maps[layer][index], f" (epoch {self.snapshot.epoch} snapshot)"
        if self.model is None:
            if self.run_dir:
                return None, "Loading the run's model for feature maps of dataset images..."
            return None, "Feature maps of dataset images need a trained model: train one or open a run."
        if layer not in self.filters or layer not in dict(self.model.model.conv_layers()):
            return None, f"The loaded model has no layer {layer}."
        start = time.perf_counter()
        maps = layer_activations(self.model, images[index : index + 1], layer)[0]
        self.last_map_ms = (time.perf_counter() - start) * 1000
        return maps, f", computed in {self.last_map_ms:.0f} ms"
