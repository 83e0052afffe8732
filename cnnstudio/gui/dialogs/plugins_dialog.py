"""The Plugins dialog: every plugin, what it adds, what went wrong, and where plugins are found.

    PluginsDialog(controller, parent).exec()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

PLUGIN_COLUMNS = ("Plugin", "Origin", "Version", "Status", "Adds", "Location")
FAILURE_COLUMNS = ("Plugin", "Origin", "Hook", "Message")
FOLDERS_TIP = ("Drop a plugin (a .py file or a package folder) into one of these folders and press Reload plugins. "
               "More folders can be listed in the CNNSTUDIO_PLUGIN_PATH environment variable.")


def contributions(entry: dict[str, Any]) -> str:
    """What a plugin adds, in words: "datasets: a, b; heads: c; folder layouts; event observer"."""
    parts = []
    if entry.get("datasets"):
        parts.append("datasets: " + ", ".join(entry["datasets"]))
    if entry.get("heads"):
        parts.append("heads: " + ", ".join(entry["heads"]))
    if entry.get("layouts"):
        parts.append("folder layouts")
    if entry.get("observer"):
        parts.append("event observer")
    return "; ".join(parts) or "nothing"


class PluginsDialog(QDialog):
    """Lists ``controller.manager.describe()`` and its failures; opens plugin folders; reloads plugins."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Plugins")
        self.resize(980, 620)

        self.plugins_tree = QTreeWidget()
        self.plugins_tree.setHeaderLabels(PLUGIN_COLUMNS)
        self.plugins_tree.setRootIsDecorated(False)
        self.plugins_tree.setAlternatingRowColors(True)
        self.plugins_tree.setToolTip("Plugins add datasets, model heads, folder layouts and event observers. "
                                     "Built-in ones ship with CNN Studio; yours load from the folders below.")
        self.plugins_tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.plugins_tree.header().setStretchLastSection(True)

        self.failures_tree = QTreeWidget()
        self.failures_tree.setHeaderLabels(FAILURE_COLUMNS)
        self.failures_tree.setRootIsDecorated(False)
        self.failures_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.failures_tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.failures_tree.header().setStretchLastSection(True)
        self.failures_tree.currentItemChanged.connect(lambda *_: self._show_traceback())
        self.traceback_button = QPushButton("Show traceback")
        self.traceback_button.setCheckable(True)
        self.traceback_button.toggled.connect(
            lambda shown: self.traceback_button.setText("Hide traceback" if shown else "Show traceback"))
        self.traceback_button.toggled.connect(lambda *_: self._show_traceback())
        self.traceback_text = QPlainTextEdit()
        self.traceback_text.setReadOnly(True)
        self.traceback_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.traceback_text.setVisible(False)
        self.failures_box = QGroupBox("Failures")
        failures_layout = QVBoxLayout(self.failures_box)
        failures_layout.addWidget(self.failures_tree, 1)
        failures_layout.addWidget(self.traceback_button, 0, Qt.AlignmentFlag.AlignLeft)
        failures_layout.addWidget(self.traceback_text, 2)

        self.folders_box = QGroupBox("Plugin folders")
        self.folders_box.setToolTip(FOLDERS_TIP)
        self.folders_layout = QGridLayout(self.folders_box)
        self.reload_button = QPushButton("Reload plugins")
        self.reload_button.setToolTip("Import every plugin again (after you add, fix or remove one).")
        self.reload_button.clicked.connect(self.reload)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.ActionRole)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plugins_tree)
        splitter.addWidget(self.failures_box)
        splitter.setSizes([230, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.folders_box)
        layout.addWidget(buttons)
        self.populate()

    def populate(self) -> None:
        """Fill the lists from the controller's current plugin manager."""
        manager = self.controller.manager
        self.entries = manager.describe()
        self.plugins_tree.clear()
        for entry in self.entries:
            item = QTreeWidgetItem([entry["name"], entry["origin"], entry.get("version") or "-", entry["status"],
                                    contributions(entry), entry.get("location", "")])
            item.setToolTip(4, contributions(entry))
            item.setToolTip(5, entry.get("location", ""))
            if entry["status"] != "ok":
                for column in range(len(PLUGIN_COLUMNS)):
                    item.setForeground(column, Qt.GlobalColor.darkRed)
            self.plugins_tree.addTopLevelItem(item)
        self.failures = list(manager.failures)
        self.failures_tree.clear()
        for failure in self.failures:
            item = QTreeWidgetItem([failure.plugin, failure.origin, failure.hook, failure.message])
            item.setToolTip(3, failure.message)
            self.failures_tree.addTopLevelItem(item)
        self.failures_box.setTitle(f"Failures ({len(self.failures)})" if self.failures else "Failures: none")
        self.traceback_button.setEnabled(bool(self.failures))
        if self.failures:
            self.failures_tree.setCurrentItem(self.failures_tree.topLevelItem(0))
        self._show_traceback()
        self._fill_folders()

    def _show_traceback(self) -> None:
        row = self.failures_tree.indexOfTopLevelItem(self.failures_tree.currentItem()) if self.failures_tree.currentItem() else -1
        shown = self.traceback_button.isChecked() and 0 <= row < len(self.failures)
        self.traceback_text.setVisible(shown)
        if shown:
            failure = self.failures[row]
            self.traceback_text.setPlainText(failure.traceback or f"{failure.message}\n(no traceback recorded)")

    def _fill_folders(self) -> None:
        from cnnstudio.host.discovery import default_plugin_folders

        while self.folders_layout.count():
            widget = self.folders_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.folder_buttons: list[QPushButton] = []
        for row, folder in enumerate(default_plugin_folders()):
            label = QLabel(str(folder) + ("" if folder.is_dir() else "  (not created yet)"))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Open folder")
            button.setToolTip(FOLDERS_TIP)
            button.clicked.connect(lambda _checked=False, f=folder: self.open_folder(f))
            self.folders_layout.addWidget(label, row, 0)
            self.folders_layout.addWidget(button, row, 1)
            self.folder_buttons.append(button)
        self.folders_layout.setColumnStretch(0, 1)

    def open_folder(self, folder: Path) -> None:
        """Show ``folder`` in the file manager, creating it first if needed."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.controller.message.emit("error", f"Cannot create the plugin folder {folder}: {error.strerror or error}")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def reload(self) -> None:
        """Import every plugin again and show the new lists."""
        self.controller.reload_plugins()
        self.populate()
