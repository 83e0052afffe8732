"""Undo and redo for labels: every change is one step, undone exactly.

A step records, for each image it touched, the label before and after (masks
included), plus the classes before and after when they changed:

    history = LabelHistory(labels)
    history.apply("Box", {"a.jpg": new_label})
    history.undo(); history.redo()
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnstudio.core.labels.label_set import ImageLabel, LabelClass, LabelSet

MAX_STEPS = 500


@dataclass(frozen=True)
class Step:
    """One change: what it was called, and each touched image's label before and after."""

    name: str
    before: dict[str, ImageLabel]
    after: dict[str, ImageLabel]
    classes_before: tuple[LabelClass, ...] | None = None
    classes_after: tuple[LabelClass, ...] | None = None


class LabelHistory:
    """The undo and redo stacks of one LabelSet. ``changes`` counts steps since the last save."""

    def __init__(self, labels: LabelSet) -> None:
        self.labels = labels
        self._done: list[Step] = []
        self._undone: list[Step] = []
        self._saved_at = 0  # len(self._done) when last saved; -1 when that state cannot come back

    def apply(self, name: str, new_labels: dict[str, ImageLabel]) -> bool:
        """Set each image's new label as one step; False (no step) when nothing changes."""
        before = {key: self.labels.get(key) for key in new_labels}
        changed = {key: label for key, label in new_labels.items() if not label.same_as(before[key])}
        if not changed:
            return False
        self._push(Step(name, {key: before[key] for key in changed}, changed))
        return True

    def apply_classes(self, name: str, change) -> None:  # noqa: ANN001 - a callable taking the LabelSet
        """Run ``change(labels)`` (rename, recolour, add a class) as one undoable step."""
        classes_before = tuple(self.labels.classes)
        labels_before = dict(self.labels.labels)
        change(self.labels)
        touched = {key for key in set(labels_before) | set(self.labels.labels)
                   if labels_before.get(key) is not self.labels.labels.get(key)}
        step = Step(name, {key: labels_before.get(key, ImageLabel()) for key in touched},
                    {key: self.labels.get(key) for key in touched}, classes_before, tuple(self.labels.classes))
        self._push(step, already_applied=True)

    def _push(self, step: Step, already_applied: bool = False) -> None:
        if not already_applied:
            self._write(step.after, step.classes_after)
        self._done.append(step)
        self._undone.clear()
        if self._saved_at > len(self._done) - 1:
            self._saved_at = -1  # the saved state was undone and is now overwritten
        if len(self._done) > MAX_STEPS:
            del self._done[0]
            self._saved_at -= 1

    def _write(self, labels: dict[str, ImageLabel], classes: tuple[LabelClass, ...] | None) -> None:
        if classes is not None:
            self.labels.classes = list(classes)
        for key, label in labels.items():
            if key in self.labels.images:
                self.labels.set(label, key)
            else:
                self.labels.labels[key] = label

    def undo(self) -> Step | None:
        """Undo the last step; returns it (to show which images changed), None when there is none."""
        if not self._done:
            return None
        step = self._done.pop()
        self._write(step.before, step.classes_before)
        self._undone.append(step)
        return step

    def redo(self) -> Step | None:
        if not self._undone:
            return None
        step = self._undone.pop()
        self._write(step.after, step.classes_after)
        self._done.append(step)
        return step

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_text(self) -> str:
        return self._done[-1].name if self._done else ""

    def redo_text(self) -> str:
        return self._undone[-1].name if self._undone else ""

    def mark_saved(self) -> None:
        self._saved_at = len(self._done)

    @property
    def unsaved(self) -> bool:
        return self._saved_at != len(self._done)
