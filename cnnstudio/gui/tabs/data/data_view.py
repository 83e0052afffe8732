"""DataView (the Data tab): the loaded dataset as a thumbnail grid, class counts, overlays and skipped files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QListView, QSplitter, QVBoxLayout, QWidget

from cnnstudio.gui.tabs.data.class_chart import ClassChart
from cnnstudio.gui.tabs.data.skipped_files import SkippedFilesBox
from cnnstudio.gui.tabs.data.thumbnail_model import THUMB, ThumbnailModel
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.folder_drop import FolderDropMixin

if TYPE_CHECKING:
    from cnnstudio.core.config import RunConfig, TrainingConfig
    from cnnstudio.core.data.imageset import ImageSet
    from cnnstudio.core.specs import DatasetSpec
    from cnnstudio.gui.controller import StudioController

MASKS_TIP = (
    "Tint the marked region of each image red (the defect or the edit). These masks are what a heat-map "
    "head learns to point at; images without a defect have an empty mask."
)
BOXES_TIP = "Draw each image's labelled boxes (x0, y0, x1, y1) in yellow: what a box head learns to predict."
NO_OVERLAY_TIP = "This dataset has no {what}: only defect and forgery datasets carry masks, logo datasets boxes."
FILTER_TIP = "Show only one class's images. Looking through each class is the quickest way to find mislabelled files."
EMPTY_TEXT = "No dataset loaded yet: pick one on the left, or open or drop a folder of images."


class DataView(FolderDropMixin, QWidget):
    """Browse the loaded dataset: filter by class, overlay masks or boxes, see counts and unread files."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.spec: DatasetSpec | None = None
        self.imageset: ImageSet | None = None
        self.model = ThumbnailModel(self)

        self.summary = QLabel(EMPTY_TEXT)
        self.summary.setWordWrap(True)
        self.class_filter = QComboBox()
        self.class_filter.setToolTip(FILTER_TIP)
        self.class_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_filter.currentIndexChanged.connect(self._on_filter)
        self.show_masks = QCheckBox("Show masks")
        self.show_boxes = QCheckBox("Show boxes")
        for box in (self.show_masks, self.show_boxes):
            box.setEnabled(False)
            box.toggled.connect(self._on_overlays)
        self.shown_label = QLabel("")

        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setUniformItemSizes(True)  # one size for all: laying out 10,000 cells asks no cell its size
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)  # lay out big sets in slices between events
        self.grid.setBatchSize(2000)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 20, THUMB + 30))
        self.grid.setSpacing(4)
        self.grid.setWordWrap(False)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.grid.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.grid.setAcceptDrops(False)  # a dropped folder goes to this view (below), not into the list

        self.chart = ClassChart()
        self.skipped = SkippedFilesBox()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        chart_title = QLabel("<b>Images per class</b>")
        side_layout.addWidget(chart_title)
        side_layout.addWidget(self.chart, 2)
        side_layout.addWidget(self.skipped, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([700, 300])

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Class:"))
        bar.addWidget(self.class_filter)
        bar.addSpacing(12)
        bar.addWidget(self.show_masks)
        bar.addWidget(self.show_boxes)
        bar.addStretch(1)
        bar.addWidget(self.shown_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.setAcceptDrops(True)
        controller.dataset_loading.connect(self._on_loading)
        controller.dataset_loaded.connect(self.show_dataset)
        controller.dataset_failed.connect(self._on_failed)
        controller.config_changed.connect(self._on_config)

    # ---- showing a dataset ------------------------------------------------------
    def show_dataset(self, spec: DatasetSpec | None, imageset: ImageSet) -> None:
        """Show ``imageset`` (the slot of controller.dataset_loaded; ``spec`` may be None)."""
        self.spec, self.imageset = spec, imageset
        self.model.set_imageset(imageset)
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem(f"All ({len(imageset)})", None)
        for index, (name, count) in enumerate(zip(imageset.class_names, imageset.class_counts())):
            self.class_filter.addItem(f"{name} ({count})", index)
        self.class_filter.setCurrentIndex(0)
        self.class_filter.blockSignals(False)
        self._set_overlay_box(self.show_masks, self.model.has_masks, "masks", MASKS_TIP)
        self._set_overlay_box(self.show_boxes, self.model.has_boxes, "boxes", BOXES_TIP)
        self.model.set_overlays(self.show_masks.isChecked(), self.show_boxes.isChecked())
        self.chart.set_counts(imageset.class_names, imageset.class_counts(), self._training())
        self.skipped.set_skipped(imageset.skipped)
        self.summary.setText(self._summary_text())
        self.summary.setStyleSheet("")
        self._update_shown()
        self.grid.scrollToTop()

    def _summary_text(self) -> str:
        imageset, spec = self.imageset, self.spec
        assert imageset is not None, "only called once a dataset is shown"
        height, width = imageset.image_size
        title = getattr(spec, "title", "") or imageset.name or "Dataset"
        task = getattr(spec, "task", "")
        parts = [f"<b>{title}</b>", f"{len(imageset):,} images of {width} x {height} pixels",
                 f"{imageset.num_classes} classes"]
        if task:
            parts.append(f"task: {task}")
        if imageset.skipped:
            parts.append(f"{len(imageset.skipped)} file(s) skipped")
        return " &middot; ".join(parts)

    @staticmethod
    def _set_overlay_box(box: QCheckBox, available: bool, what: str, tip: str) -> None:
        box.setEnabled(available)
        box.setToolTip(tip if available else NO_OVERLAY_TIP.format(what=what))
        if not available:
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)

    def _training(self) -> TrainingConfig | None:
        config = getattr(self.controller, "config", None)
        return getattr(config, "training", None)

    def _update_shown(self) -> None:
        total = len(self.imageset) if self.imageset is not None else 0
        shown = self.model.rowCount()
        self.shown_label.setText(f"showing {shown:,} of {total:,}" if shown != total else f"{total:,} images")

    # ---- controls ---------------------------------------------------------------
    def _on_filter(self, combo_index: int) -> None:
        self.model.set_class_filter(self.class_filter.itemData(combo_index))
        self._update_shown()
        self.grid.scrollToTop()

    def _on_overlays(self) -> None:
        self.model.set_overlays(self.show_masks.isChecked(), self.show_boxes.isChecked())
        self.grid.viewport().update()

    def set_class_filter(self, class_name: str | None) -> None:
        """Show only ``class_name``'s images (None: all), as choosing it in the combo does."""
        names = list(self.imageset.class_names) if self.imageset is not None else []
        self.class_filter.setCurrentIndex(0 if class_name is None else names.index(class_name) + 1)

    # ---- controller signals -----------------------------------------------------
    def _on_loading(self, what: str) -> None:
        self.summary.setText(f"Loading {what}...")
        self.summary.setStyleSheet(palette.MUTED_STYLE)

    def _on_failed(self, what: str, message: str) -> None:
        if self.imageset is not None:
            self.summary.setText(self._summary_text())
            self.summary.setStyleSheet("")
        else:
            self.summary.setText(EMPTY_TEXT)

    def _on_config(self, config: RunConfig) -> None:
        if self.imageset is not None:
            self.chart.refresh_warning(getattr(config, "training", None))

