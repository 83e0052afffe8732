"""Saving the Label tab's labels beyond the label file: a standard layout, or another folder.

Layouts (core/labels/layouts.py) link or copy the photos, never move them; a
folder that cannot be written keeps its labels in memory until "Save
elsewhere..." writes them where they can go.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

if TYPE_CHECKING:
    from cnnstudio.core.specs import LabelKindSpec
    from cnnstudio.gui.tabs.label.label_view import LabelView

LAYOUT_FOR_KIND = {"classes": "class-folders", "boxes": "yolo", "masks": "mvtec"}


class LabelSaving:
    """The tab's Save and Save-to-another-folder buttons, and the label kinds the plugins offer."""

    def __init__(self, view: LabelView) -> None:
        self.view = view

    def label_kinds(self) -> list[LabelKindSpec]:
        return self.view.controller.manager.label_kinds()

    def kind_spec(self, kind_id: str) -> LabelKindSpec | None:
        return next((spec for spec in self.label_kinds() if spec.id == kind_id), None)

    def save_layout(self) -> bool:
        """Save the label file, then the layout chosen in the save box (in the folder's labelled-* sub-folder)."""
        session, view = self.view.session, self.view
        if session is None:
            return False
        if not session.save():
            return False
        layout = view.toolbar.layout_box.currentData()
        if layout in (None, "label-file"):
            return True
        return self._write(layout, None, link=True)

    def save_elsewhere(self, folder: str | None = None) -> bool:
        """Write the labelled photos (copies) in the kind's layout into a chosen folder, plus a label file there."""
        session, view = self.view.session, self.view
        if session is None:
            return False
        if folder is None:
            folder = QFileDialog.getExistingDirectory(view, "Save the labels to another folder", str(Path.home()))
            if not folder:
                return False
        return self._write(LAYOUT_FOR_KIND[session.labels.kind], Path(folder), link=False)

    def _write(self, layout: str, dest: Path | None, link: bool) -> bool:
        from cnnstudio.core.atomic import describe_os_error
        from cnnstudio.core.labels.layouts import write_layout

        session, view = self.view.session, self.view
        assert session is not None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            summary = write_layout(session.labels, layout, dest, link=link)
        except OSError as error:
            view._say("error", f"{describe_os_error(error)}. Your labels are kept in memory; choose another folder.")
            return False
        except ValueError as error:
            QMessageBox.warning(view, "Save labels", str(error))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        view._say("info", f"Saved {summary.images} labelled images as {layout} in {summary.dest}. "
                          f"Open that folder to train on it anywhere; your photos were not changed.")
        return True
