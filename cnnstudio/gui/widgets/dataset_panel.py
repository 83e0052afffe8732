"""DatasetPanel (left of the window): the plugins' datasets by domain, their options, and opening a folder.

Selecting a dataset (a click) shows it; loading it (Load, a double-click, Enter)
makes it the one Start trains on. Generating or reading a dataset takes
seconds and its options are set first, so a click alone loads nothing; the
"Start trains on" line at the top always names the loaded one, and says when
the selected one is not loaded yet (the Load button then reads "Load <name>").
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.data.dataset_ids import dataset_folder
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.dataset_options import DatasetOptionsForm
from cnnstudio.gui.widgets.folder_drop import FolderDropMixin
from cnnstudio.gui.widgets.run_identity import NOTE_STYLE, same_dataset_id, training_dataset

if TYPE_CHECKING:
    from cnnstudio.core.data.imageset import ImageSet
    from cnnstudio.core.specs import DatasetSpec
    from cnnstudio.gui.controller import StudioController

FOLDERS_GROUP = "Opened folders"
KeyRole = Qt.ItemDataRole.UserRole  # a dataset id, or the folder path for an opened folder
FOLDER_TIP = (
    "Open a folder of your own images. Layouts read: one subfolder per class (ok/, defect/ ...), "
    "an MVTec-AD category (train/good, test/<defect>, ground_truth/), or a YOLO folder (images/, labels/). "
    "You can also drop a folder onto this panel or the Data tab."
)
LOAD_TIP = "Load the selected dataset with these options (double-clicking a dataset does the same)."


class DatasetPanel(FolderDropMixin, QWidget):
    """Choose what to train on: a bundled or plugin dataset, its options, or a folder of images."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.specs: dict[str, DatasetSpec] = {}  # key (id or folder path) -> its spec
        self.remembered: dict[str, dict[str, Any]] = {}  # key -> the options it was last loaded with
        self.loaded_key: str | None = None
        self._requested: str | None = None  # what the controller is loading now
        self.form: DatasetOptionsForm | None = None

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setMinimumHeight(120)
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.itemActivated.connect(lambda item, _column: self._activate(item))
        self.description = QTextBrowser()
        self.description.setOpenLinks(False)
        self.description.setMinimumHeight(90)
        self.description.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        self.options_box = QGroupBox("Options")
        self.options_layout = QVBoxLayout(self.options_box)
        self.load_button = QPushButton("Load dataset")
        self.load_button.setToolTip(LOAD_TIP)
        self.load_button.setDefault(True)
        self.load_button.clicked.connect(self.load_selected)
        self.options_layout.addWidget(self.load_button)

        self.folder_button = QPushButton("Open image folder...")
        self.folder_button.setToolTip(FOLDER_TIP)
        self.folder_button.clicked.connect(self.choose_folder)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: loading has no progress to report
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(10)
        self.busy.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        self.trains_on = QLabel("")  # which dataset Start trains on, and a selected one not loaded yet
        self.trains_on.setWordWrap(True)
        self.trains_on.setTextFormat(Qt.TextFormat.RichText)
        self.trains_on.setToolTip("Start (Train tab) and File > Save run config use the loaded dataset (in bold "
                                  "in the list). Select another one and press Load to train on it.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(QLabel("<b>Datasets</b>"))
        layout.addWidget(self.trains_on)
        layout.addWidget(self.tree, 2)
        layout.addWidget(self.description, 3)
        layout.addWidget(self.options_box)
        layout.addWidget(self.folder_button)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        self.setAcceptDrops(True)
        self.setToolTip(FOLDER_TIP)
        self.tree.setToolTip("")

        controller.plugins_reloaded.connect(self.refresh)
        controller.dataset_loading.connect(self._on_loading)
        controller.dataset_loaded.connect(self._on_loaded)
        controller.dataset_failed.connect(self._on_failed)
        controller.config_changed.connect(lambda *_: self._show_trains_on())
        self.refresh()
        self._show_trains_on()

    # ---- the list ---------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the list from the plugin manager (after a plugin reload), keeping the selection."""
        keep = self.selected_key()
        folders = {key: spec for key, spec in self.specs.items() if key not in self._plugin_datasets()}
        self.specs = dict(self._plugin_datasets())
        self.tree.blockSignals(True)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for key, spec in self.specs.items():
            group = groups.get(spec.domain)
            if group is None:
                group = groups[spec.domain] = self._group(spec.domain or "Other")
            self._entry(group, key, spec.title or spec.id, spec.description)
        for folder, spec in folders.items():
            self._add_folder(folder, spec)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        self.select(keep or self.loaded_key)

    def _plugin_datasets(self) -> dict[str, DatasetSpec]:
        return self.controller.manager.datasets()

    def _group(self, title: str) -> QTreeWidgetItem:
        group = QTreeWidgetItem(self.tree, [title])
        font = QFont(group.font(0))
        font.setBold(True)
        group.setFont(0, font)
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a choice
        return group

    @staticmethod
    def _entry(group: QTreeWidgetItem, key: str, title: str, description: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(group, [title])
        item.setData(0, KeyRole, key)
        item.setToolTip(0, f"<p>{html.escape(description)}</p>" if description else key)
        return item

    def _add_folder(self, folder: str, spec: DatasetSpec) -> None:
        self.specs[folder] = spec
        groups = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        group = next((g for g in groups if g.text(0) == FOLDERS_GROUP), None) or self._group(FOLDERS_GROUP)
        if not any(group.child(i).data(0, KeyRole) == folder for i in range(group.childCount())):
            self._entry(group, folder, spec.title or folder, spec.description)
            group.setExpanded(True)

    def _items(self) -> list[QTreeWidgetItem]:
        groups = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [group.child(i) for group in groups for i in range(group.childCount())]

    def select(self, key: str | None) -> None:
        """Make ``key``'s entry current (shows its description and options; loads nothing)."""
        for item in self._items():
            if item.data(0, KeyRole) == key:
                self.tree.setCurrentItem(item)
                return

    def selected_key(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, KeyRole) if item is not None else None

    def _on_current(self, item: QTreeWidgetItem | None, _previous: Any = None) -> None:
        key = item.data(0, KeyRole) if item is not None else None
        spec = self.specs.get(key) if key else None
        self._show_spec(key, spec)

    def _show_spec(self, key: str | None, spec: DatasetSpec | None) -> None:
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
            self.form = None
        if spec is None:
            self.description.setHtml("<p>Choose a dataset above, or open a folder of images.</p>")
            self.load_button.setEnabled(False)
            self._show_trains_on()
            return
        self.description.setHtml(self._describe(spec))
        self.form = DatasetOptionsForm(spec.options, self.remembered.get(key, {}))
        self.options_layout.insertWidget(0, self.form)
        self.options_box.setVisible(True)
        self.load_button.setEnabled(True)
        self.load_button.setText("Reload with these options" if key == self.loaded_key
                                 else f"Load {spec.title or key}")
        self._show_trains_on()

    def _show_trains_on(self) -> None:
        """"Start trains on: <loaded>", and the selected dataset when it is another one, not loaded yet."""
        dataset_id, title = training_dataset(self.controller)
        text = f"Start trains on: <b>{html.escape(title)}</b>"
        key = self.selected_key()
        spec = self.specs.get(key) if key else None
        if spec is not None and not same_dataset_id(key, dataset_id):
            name = html.escape(spec.title or key)
            text += (f"<br><span style='{NOTE_STYLE}'>Selected: <b>{name}</b>, not loaded yet: "
                     f"press <i>Load {name}</i> (or double-click it) to train on it.</span>")
        self.trains_on.setText(text)

    @staticmethod
    def _describe(spec: DatasetSpec) -> str:
        classes = ", ".join(spec.class_names) if spec.class_names else "read from the data"
        return (f"<p><b>{html.escape(spec.title or spec.id)}</b></p>"
                f"<p>{html.escape(spec.description or '')}</p>"
                f"<p><i>Task:</i> {html.escape(spec.task)}<br><i>Default head:</i> {html.escape(spec.default_head)}"
                f"<br><i>Classes:</i> {html.escape(classes)}</p>")

    # ---- loading ----------------------------------------------------------------
    def load_selected(self) -> None:
        """Load the selected dataset with the options in the form."""
        key = self.selected_key()
        if key is None:
            return
        options = self.form.values() if self.form is not None else {}
        self.remembered[key] = options
        self.controller.select_dataset(key, options)

    def _activate(self, item: QTreeWidgetItem) -> None:
        if item.data(0, KeyRole):
            self.tree.setCurrentItem(item)
            self.load_selected()

    def choose_folder(self) -> None:
        """Ask for a folder of images and load it."""
        requested = dataset_folder(self._requested) if self._requested else None
        start = str(requested) if requested is not None and requested.is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open image folder", start)
        if folder:
            self.controller.select_dataset(folder)

    def _on_loading(self, what: str) -> None:
        self._requested = what
        self.busy.show()
        self.status.setStyleSheet(palette.MUTED_STYLE)
        self.status.setText(f"Loading {self._display_name(what)}...")
        self.status.show()

    def _display_name(self, key: str) -> str:
        """A listed dataset's title, else the folder's name (``key`` is an id or a path)."""
        if key in self.specs:
            return self.specs[key].title or key
        folder = dataset_folder(key)
        return folder.name if folder is not None else key

    def _on_loaded(self, spec: DatasetSpec, imageset: ImageSet) -> None:
        self.busy.hide()
        self.status.hide()
        key = spec.id  # an opened folder's id is folder:PATH however it was asked for (path, drop, restart)
        if key not in self._plugin_datasets():
            self.tree.blockSignals(True)
            self._add_folder(key, spec)
            self.tree.blockSignals(False)
        self.specs[key] = spec
        self.remembered[key] = dict(self.controller.config.dataset.options)
        self.loaded_key = key
        for item in self._items():  # mark the loaded dataset
            font = QFont(item.font(0))
            font.setBold(item.data(0, KeyRole) == key)
            item.setFont(0, font)
        self.tree.blockSignals(True)
        self.select(key)
        self.tree.blockSignals(False)
        self._show_spec(key, spec)

    def _on_failed(self, what: str, message: str) -> None:
        self.busy.hide()
        # A folder that only needs labels is not a fault: the Label tab has opened it.
        self.status.setStyleSheet(palette.MUTED_STYLE if self.controller.needs_labels else palette.ERROR_STYLE)
        self.status.setText(message)
        self.status.setToolTip(message)
        self.status.show()

