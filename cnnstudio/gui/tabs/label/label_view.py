"""LabelView (the Label tab): give the photos of an opened folder classes, boxes or defect masks.

Keyboard first: Right/Left (or D/A) go to the next/previous image, 1-9 pick a
class, S skip, U unsure, G good, N no objects, Enter accepts a suggestion,
Ctrl+Z/Ctrl+Y undo and redo, B/P/E/L/V pick a tool, [ ] size the brush,
+ - F zoom. Labels are saved to the folder's label file as you go
(label_session.py); Save also writes the layout chosen beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from cnnstudio.core.labels.label_set import LabelSet
from cnnstudio.gui.tabs.label.class_panel import ClassPanel
from cnnstudio.gui.tabs.label.image_cache import PhotoCache
from cnnstudio.gui.tabs.label.image_strip import ImageStrip, matches
from cnnstudio.gui.tabs.label.label_actions import LabelActions
from cnnstudio.gui.tabs.label.label_canvas import LabelCanvas
from cnnstudio.gui.tabs.label.label_keys import install_label_keys
from cnnstudio.gui.tabs.label.label_saving import LabelSaving
from cnnstudio.gui.tabs.label.label_session import LabelSession
from cnnstudio.gui.tabs.label.label_suggest import LabelSuggester
from cnnstudio.gui.tabs.label.label_toolbar import TOOLS_BY_KIND, LabelToolbar
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.folder_drop import FolderDropMixin

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

EMPTY_TEXT = ("Open or drop a folder of photos to label them: a flat folder of JPEGs is fine. "
              "Labels are saved in the folder (cnnstudio-labels.json) as you go; your photos are never changed.")
PREFETCH_AHEAD, PREFETCH_BEHIND = 3, 1


class LabelView(FolderDropMixin, LabelActions, QWidget):
    """The Label tab: a class panel, the photo with its label, the thumbnails, and the tools above."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session: LabelSession | None = None
        self.rows: list[str] = []  # the images the filter shows, in order
        self.current: str | None = None
        self.current_class: str | None = None
        self.tool = "view"
        self.filter = "all"
        self.photos = PhotoCache()
        self.setAcceptDrops(True)

        self.toolbar = LabelToolbar(self)
        self.classes = ClassPanel(self)
        self.canvas = LabelCanvas(self)
        self.strip = ImageStrip(self)
        self.info = QLabel(EMPTY_TEXT)
        self.info.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.auto_next = QCheckBox("Next image after labelling")
        self.auto_next.setChecked(True)
        self.auto_next.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.auto_next.setToolTip("With one class per image, a number key labels the photo and shows the next one.")
        self.saving = LabelSaving(self)
        self.suggester = LabelSuggester(self)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.classes)
        splitter.addWidget(self.canvas)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 900])
        info_row = QHBoxLayout()
        info_row.addWidget(self.info, 1)
        info_row.addWidget(self.auto_next)
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        layout.addLayout(info_row)
        layout.addWidget(self.strip)
        layout.addWidget(self.status)

        self.toolbar.kind_chosen.connect(self.choose_kind)
        self.toolbar.tool_chosen.connect(self.choose_tool)
        self.toolbar.filter_chosen.connect(self.choose_filter)
        self.toolbar.brush_size.valueChanged.connect(self.canvas.set_brush_size)
        self.toolbar.undo.clicked.connect(self.undo)
        self.toolbar.redo.clicked.connect(self.redo)
        self.toolbar.fit.clicked.connect(self.canvas.zoom_fit)
        self.toolbar.suggest.clicked.connect(self.suggester.suggest)
        self.toolbar.save.clicked.connect(lambda: self.saving.save_layout())
        self.toolbar.save_elsewhere.clicked.connect(lambda: self.saving.save_elsewhere())
        self.classes.class_clicked.connect(self.use_class)
        self.classes.add_requested.connect(self.add_class)
        self.classes.rename_requested.connect(self.rename_class)
        self.classes.colour_requested.connect(self.recolour_class)
        self.classes.status_requested.connect(self.mark)
        self.canvas.label_edited.connect(self._on_canvas_edit)
        self.strip.image_picked.connect(self.show_image)
        controller.folder_opened.connect(self.open_folder)
        controller.starting.connect(self.reload_dataset_if_changed)
        controller.dataset_loaded.connect(self._on_dataset_loaded)
        self.edits_since_load = 0  # label changes the loaded dataset does not have yet
        self.shortcuts = install_label_keys(self)
        self.toolbar.show_tools("classes", self.tool)  # until a folder opens: no drawing tools
        self._enable(False)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(True)
        self.canvas.setFocus()  # the keys (next, classes, tools) work as soon as the tab shows

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)

    # ---- opening ----------------------------------------------------------------------
    @property
    def labels(self) -> LabelSet | None:
        return self.session.labels if self.session is not None else None

    def open_folder(self, folder: str) -> None:
        """Show ``folder``'s photos and their labels (from its label file, or the layout it already has)."""
        from cnnstudio.core.errors import DatasetError
        from cnnstudio.core.labels.open_labels import open_labels

        root = Path(folder)
        if self.session is not None and self.session.root == root:
            return
        if self.session is not None:
            self.session.flush()
        try:
            labels = open_labels(root)
        except DatasetError as error:
            self._say("error", str(error))
            return
        self.session = LabelSession(labels, self)
        self.session.changed.connect(self._on_changed)
        self.session.classes_changed.connect(self._on_classes_changed)
        self.session.history_changed.connect(self._show_history)
        self.session.saved.connect(lambda path: self._say("info", f"Saved to {path}"))
        self.session.save_failed.connect(lambda message: self._say("error", message))
        self.photos.forget()
        self.current = None
        self.current_class = labels.class_names[0] if labels.class_names else None
        kinds = self.saving.label_kinds()
        self.toolbar.show_kinds([(k.id, k.title, k.hint) for k in kinds], labels.label_kind)
        self._show_kind()
        self._enable(True)
        self.filter = "all"
        self._refilter(first=True)
        self._say("info", self._opened_text(labels))
        if self.isVisible():
            self.canvas.setFocus()

    def _opened_text(self, labels: LabelSet) -> str:
        counted = len(labels.counted())
        if not labels.images:
            return f"{labels.root} holds no images to label."
        if not labels.classes:
            return (f"{len(labels.images)} photos in {labels.root}, none labelled yet. Add a class (Ctrl+N), "
                    "then press its number key on each photo.")
        return f"{len(labels.images)} photos in {labels.root}, {counted} labelled."

    def _show_kind(self) -> None:
        labels = self.labels
        assert labels is not None
        tools = TOOLS_BY_KIND[labels.kind]
        if self.tool not in tools:
            self.tool = tools[0]
        self.toolbar.show_tools(labels.kind, self.tool)
        self.canvas.set_tool(self.tool)
        spec = self.saving.kind_spec(labels.label_kind)
        if spec is not None and spec.brush_size:
            self.toolbar.brush_size.setValue(spec.brush_size)
        self.canvas.set_brush_size(self.toolbar.brush_size.value())
        self._on_classes_changed()

    def _enable(self, enabled: bool) -> None:
        for widget in (self.toolbar, self.classes, self.canvas, self.strip, self.auto_next):
            widget.setEnabled(enabled)

    # ---- showing ------------------------------------------------------------------------
    def _refilter(self, first: bool = False) -> None:
        labels = self.labels
        if labels is None:
            return
        self.rows = [key for key in labels.images if matches(labels.get(key), self.filter)]
        if self.filter == "suggested":
            self.rows.sort(key=lambda key: -(labels.get(key).score or 0.0))
        self.strip.show_images(labels, self.rows, self.current)
        if self.rows and (first or self.current not in self.rows):
            self.show_image(self.rows[0])
        elif not self.rows:
            self.info.setText("No image matches this filter." if labels.images else EMPTY_TEXT)

    def show_image(self, key: str) -> None:
        """Show one photo with its label, and start decoding its neighbours."""
        labels = self.labels
        if labels is None or key not in labels.images:
            return
        self.current = key
        path = str(labels.root / key)
        photo = self.photos.get(path)
        if photo.isNull():
            self._say("error", f"{path}: cannot be read as an image (a broken or unsupported file); "
                               "skip it with S.")
        self.canvas.show_image(photo, labels.get(key), labels.colour_of)
        self.strip.select_image(key)
        self._show_info()
        if key in self.rows:
            at = self.rows.index(key)
            neighbours = self.rows[at + 1: at + 1 + PREFETCH_AHEAD] + self.rows[max(0, at - PREFETCH_BEHIND): at]
            self.photos.prefetch([str(labels.root / name) for name in neighbours])

    def _show_info(self) -> None:
        labels = self.labels
        if labels is None or self.current is None:
            return
        label = labels.get(self.current)
        place = f"{self.rows.index(self.current) + 1} / {len(self.rows)}" if self.current in self.rows else ""
        state = label.status if label.status != "labelled" else (label.class_name or "background")
        if labels.kind == "boxes" and label.counts:
            state = f"{len(label.boxes)} box{'es' if len(label.boxes) != 1 else ''}"
        if label.suggested:
            state = f"suggested: {state} (Enter accepts)"
        self.info.setText(f"{place}   {self.current}   [{state}]")

    def go(self, step: int) -> None:
        """Show the next (step 1) or previous (-1) image of the filtered list."""
        if not self.rows:
            return
        at = self.rows.index(self.current) if self.current in self.rows else -1
        self.show_image(self.rows[max(0, min(len(self.rows) - 1, at + step))])

    def selected_or_current(self) -> list[str]:
        chosen = self.strip.selected_images()
        return chosen if len(chosen) > 1 else ([self.current] if self.current else [])

    # ---- after changes ------------------------------------------------------------------
    def _on_changed(self, images: list[str]) -> None:
        labels = self.labels
        if labels is None:
            return
        self.edits_since_load += 1
        self.strip.list_model.refresh(images)
        if self.current in images:
            self.canvas.set_label(labels.get(self.current))
        self.classes.show_classes(labels, self.current_class)
        self._show_info()

    def _on_classes_changed(self) -> None:
        labels = self.labels
        if labels is None:
            return
        if self.current_class not in labels.class_names:
            self.current_class = labels.class_names[0] if labels.class_names else None
        if self.current_class:
            self.canvas.set_current_class(self.current_class)
        self.classes.show_classes(labels, self.current_class)
        self.toolbar.show_filters(labels.class_names, self.filter)
        if self.current is not None:
            self.canvas.set_label(labels.get(self.current))

    def _show_history(self) -> None:
        session = self.session
        if session is None:
            return
        self.toolbar.undo.setEnabled(session.history.can_undo)
        self.toolbar.redo.setEnabled(session.history.can_redo)
        self.toolbar.undo.setToolTip(f"Undo {session.history.undo_text()} (Ctrl+Z)")
        self.toolbar.redo.setToolTip(f"Redo {session.history.redo_text()} (Ctrl+Y)")

    def _say(self, severity: str, text: str) -> None:
        self.status.setStyleSheet(palette.ERROR_STYLE if severity == "error" else palette.MUTED_STYLE)
        self.status.setText(text)

    # ---- with the other tabs -------------------------------------------------------------
    def _on_dataset_loaded(self, spec: Any, _imageset: Any) -> None:
        from cnnstudio.core.data.dataset_ids import dataset_folder

        if self.labels is not None and dataset_folder(spec.id) == self.labels.root:
            self.edits_since_load = 0

    def reload_dataset_if_changed(self) -> None:
        """Save pending labels; when they changed since the folder was loaded, load it again (Start waits for it)."""
        session = self.session
        if session is None:
            return
        session.flush()
        if not self.edits_since_load or not session.labels.counted():
            return
        from cnnstudio.core.data.dataset_ids import folder_dataset_id

        folder_id = folder_dataset_id(session.root)
        config = self.controller.config
        self.controller.select_dataset(str(session.root), dict(config.dataset.options) if config.dataset.id == folder_id
                                       else None)

    def show_source(self, source: str, decided: str = "") -> bool:
        """Show the photo at ``source`` (an absolute path) for relabelling; False, with a message, when it is
        not a photo of the labelled folder or of the loaded dataset's folder."""
        from cnnstudio.core.data.dataset_ids import dataset_folder

        path = Path(source)
        candidates = [self.labels.root] if self.labels is not None else []
        dataset_root = dataset_folder(self.controller.config.dataset.id)
        if dataset_root is not None:
            candidates.append(dataset_root)
        for root in candidates:
            if path.is_relative_to(root):
                self.open_folder(str(root))
                key = path.relative_to(root).as_posix()
                if self.labels is None or key not in self.labels.images:
                    break
                self.filter = "all"
                self.toolbar.show_filters(self.labels.class_names, self.filter)
                self._refilter()
                self.show_image(key)
                said = f" The run said {decided}." if decided else ""
                self._say("info", f"Fix the label of {key}: pick the right class.{said} The next run trains on it.")
                return True
        self._say("error", f"{source} is not a photo of an opened folder, so its label cannot be fixed here.")
        return False

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of photos to label", str(Path.home()))
        if folder:
            self.controller.select_dataset(folder)

    def shutdown(self) -> None:
        """Save what is pending and stop the decoding threads (the window is closing)."""
        if self.session is not None:
            self.session.flush()
        self.suggester.shutdown()
        self.photos.shutdown()
        self.strip.list_model.shutdown()
