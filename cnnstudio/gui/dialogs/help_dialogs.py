"""Help menu dialogs: the user guide, read inside the app, and every keyboard shortcut, read off the menus."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

GUIDE_MISSING = (
    "The user guide (docs/user-guide.md) is not installed next to CNN Studio. "
    "Read it in the project's repository, or run `cnnstudio --help` and `cnnstudio COMMAND --help`."
)
# Keys that belong to widgets rather than menu actions.
WIDGET_KEYS = (
    ("Enter or double-click", "Dataset list: load the selected dataset"),
    ("Double-click a run", "Runs tab: open it in every tab"),
    ("Double-click a tile", "Evaluate gallery: try that image in Try an image"),
    ("Drop a folder", "Dataset list or Data tab: open it as a dataset"),
    ("Drop an image", "Try an image: predict it"),
)


def user_guide_path() -> Path:
    """docs/user-guide.md of this checkout (the app runs from the source tree or an editable install)."""
    return Path(__file__).resolve().parents[3] / "docs" / "user-guide.md"


class GuideBrowser(QTextBrowser):
    """A QTextBrowser that shows the guide's screenshots scaled to fit its width."""

    MAX_IMAGE_WIDTH = 720

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802 (Qt override)
        resource = super().loadResource(kind, url)
        if kind == QTextDocument.ResourceType.ImageResource.value and resource is not None:
            image = resource if isinstance(resource, QImage) else QImage.fromData(resource)
            if not image.isNull() and image.width() > self.MAX_IMAGE_WIDTH:
                return image.scaledToWidth(self.MAX_IMAGE_WIDTH, mode=Qt.TransformationMode.SmoothTransformation)
            return image if not image.isNull() else resource
        return resource


class UserGuideDialog(QDialog):
    """The user guide as formatted text, with working links to its own sections."""

    def __init__(self, parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("CNN Studio user guide")
        self.resize(820, 640)
        self.browser = GuideBrowser(self)
        self.browser.setOpenExternalLinks(True)
        path = path or user_guide_path()
        # Relative links and screenshots (screenshots/x.png) resolve against the guide's own folder.
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
        try:
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError:
            self.browser.setPlainText(GUIDE_MISSING)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, "Menu > Action") for every menu action that has a shortcut, in menu order."""
    rows = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is None:
            continue
        for action in menu.actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((keys, f"{_plain(top.text())} > {_plain(action.text())}"))
    return rows


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class ShortcutsDialog(QDialog):
    """A table of the menus' shortcuts and the mouse and drop gestures the views understand."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = menu_shortcuts(window) + list(WIDGET_KEYS)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, does) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(does))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(560, 460)
