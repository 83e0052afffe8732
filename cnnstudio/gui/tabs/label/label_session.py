"""The labels of the folder open in the Label tab: edits with undo, saved as you go.

Every change is one undo step and is written to the folder's label file
(atomically) a moment later, so a crash loses at most the last second and
never the file. When the folder cannot be written (read-only, a full disk),
the labels stay in memory, the tab says so, and "Save elsewhere..."
writes them where they can go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.atomic import describe_os_error
from cnnstudio.core.labels.history import LabelHistory
from cnnstudio.core.labels.label_file import label_file_path, write_label_file
from cnnstudio.core.labels.label_set import GOOD_CLASS, ImageLabel, LabelSet

AUTOSAVE_MS = 400


class LabelSession(QObject):
    """One folder's LabelSet, its undo history and its saving."""

    changed = Signal(object)  # images: list[str] whose labels changed (all of them after a class edit)
    classes_changed = Signal()  # the class list, a name or a colour changed
    saved = Signal(str)  # path of the label file just written
    save_failed = Signal(str)  # what went wrong, for people (the file and the cause)
    history_changed = Signal()  # undo/redo availability or text changed

    def __init__(self, labels: LabelSet, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.labels = labels
        self.history = LabelHistory(labels)
        self.history.mark_saved()
        self.save_error = ""  # why the last save failed ("" when saved)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save)

    @property
    def root(self) -> Path:
        return self.labels.root

    # ---- edits ----------------------------------------------------------------------
    def apply(self, name: str, new_labels: dict[str, ImageLabel]) -> bool:
        """Set these labels as one undo step (False: nothing changed)."""
        if not self.history.apply(name, new_labels):
            return False
        self._after_edit(list(new_labels))
        return True

    def assign_class(self, images: Iterable[str], class_name: str) -> bool:
        """Give each image this class (classes kind), or mark it good / of this defect kind (masks kind)."""
        images = list(images)
        new = {}
        for key in images:
            label = self.labels.get(key)
            if self.labels.kind == "masks" and class_name == GOOD_CLASS:
                new[key] = replace(label, status="labelled", class_name=GOOD_CLASS, mask=None, suggested=False)
            else:
                new[key] = replace(label, status="labelled", class_name=class_name, suggested=False)
        what = f"{class_name}" if len(images) == 1 else f"{class_name} ({len(images)} images)"
        return self.apply(f"Label {what}", new)

    def set_status(self, images: Iterable[str], status: str) -> bool:
        """Mark images skip, unsure, labelled (an empty label: a background image) or unlabelled."""
        new = {key: replace(self.labels.get(key), status=status, suggested=False) for key in images}
        return self.apply(f"Mark {status}", new)

    def accept(self, images: Iterable[str]) -> bool:
        """Accept the model's suggestions as labels."""
        new = {key: replace(self.labels.get(key), suggested=False) for key in images if self.labels.get(key).suggested}
        return self.apply("Accept suggestion", new)

    def change_classes(self, name: str, change: Callable[[LabelSet], None]) -> None:
        """Add, rename or recolour classes as one undo step; ValueError (for people) when it cannot be done."""
        self.history.apply_classes(name, change)
        self.classes_changed.emit()
        self._after_edit(list(self.labels.images))

    def undo(self) -> None:
        step = self.history.undo()
        if step is not None:
            self._after_step(step.classes_before is not None, list(step.before))

    def redo(self) -> None:
        step = self.history.redo()
        if step is not None:
            self._after_step(step.classes_after is not None, list(step.after))

    def _after_step(self, classes: bool, images: list[str]) -> None:
        if classes:
            self.classes_changed.emit()
        self._after_edit(images)

    def _after_edit(self, images: list[str]) -> None:
        self.changed.emit(images)
        self.history_changed.emit()
        self._timer.start()

    # ---- saving ---------------------------------------------------------------------
    @property
    def unsaved(self) -> bool:
        return self.history.unsaved or self._timer.isActive()

    def save(self, path: Path | None = None) -> bool:
        """Write the label file now (default: in the folder); False, with save_failed, when it cannot be written."""
        self._timer.stop()
        try:
            written = write_label_file(self.labels, path)
        except OSError as error:
            target = path or label_file_path(self.root)
            self.save_error = (f"{describe_os_error(error)}. Your labels are kept in memory: use "
                               f"\"Save elsewhere...\" to keep them (tried {target}).")
            self.save_failed.emit(self.save_error)
            return False
        self.save_error = ""
        if path is None:
            self.history.mark_saved()
        self.saved.emit(str(written))
        self.history_changed.emit()
        return True

    def flush(self) -> bool:
        """Save now if a save is pending (before training, on close); True when nothing is left unsaved."""
        if self._timer.isActive() or self.history.unsaved:
            return self.save()
        return True
