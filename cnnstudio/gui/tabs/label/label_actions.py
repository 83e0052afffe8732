"""What the Label tab's keys and buttons do to the labels: classes, statuses, boxes, undo, tools.

A mixin of LabelView (label_view.py), which holds the session, the canvas,
the toolbar and the list of shown images these methods use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.labels.label_set import LabelSet
from cnnstudio.gui.tabs.label.label_toolbar import TOOLS_BY_KIND

if TYPE_CHECKING:
    from cnnstudio.gui.tabs.label.label_view import LabelView


class LabelActions:
    """Labelling, class edits, undo and tool choice for the shown or selected images."""

    # ---- labelling ----------------------------------------------------------------------
    def use_class(self: LabelView, name: str) -> None:
        """A class was picked (click or number key): label with it, or draw with it."""
        labels, session = self.labels, self.session
        if labels is None or session is None or name not in labels.class_names:
            return
        self.current_class = name
        self.canvas.set_current_class(name)
        images = self.selected_or_current()
        if labels.kind == "classes" or (labels.kind == "masks" and name == "good"):
            if images and session.assign_class(images, name) and self.auto_next.isChecked() and len(images) == 1:
                self.go(1)
        elif labels.kind == "boxes" and self.canvas.selected_box_index() is not None:
            self.canvas.set_selected_box_class(name)
        elif labels.kind == "masks" and self.current and labels.get(self.current).class_name not in (None, "good"):
            session.assign_class([self.current], name)
        self._on_classes_changed()

    def use_class_number(self: LabelView, number: int) -> None:
        labels = self.labels
        if labels is not None and 1 <= number <= len(labels.classes):
            self.use_class(labels.classes[number - 1].name)

    def mark(self: LabelView, what: str) -> None:
        """skip, unsure, good, nothing (no objects), accept, clear: for the shown or selected images."""
        labels, session = self.labels, self.session
        if labels is None or session is None:
            return
        images = self.selected_or_current()
        if not images:
            return
        if what == "accept":
            changed = session.accept(images)
        elif what == "good":
            if labels.kind != "masks":
                return
            changed = session.assign_class(images, "good")
        elif what == "nothing":
            changed = session.apply("No objects", {key: replace(labels.get(key), status="labelled", boxes=(),
                                                                 suggested=False) for key in images})
        elif what == "clear":
            changed = session.set_status(images, "unlabelled")
        else:
            changed = session.set_status(images, what)
        if changed and len(images) == 1 and what != "clear" and self.auto_next.isChecked():
            self.go(1)

    def copy_previous_boxes(self: LabelView) -> None:
        """Add the boxes of the image before this one in the list (a series of shots of one shelf)."""
        labels, session = self.labels, self.session
        if labels is None or session is None or labels.kind != "boxes" or self.current not in self.rows:
            return
        at = self.rows.index(self.current)
        if at == 0:
            return
        previous = labels.get(self.rows[at - 1]).boxes
        label = labels.get(self.current)
        added = tuple(box for box in previous if box not in label.boxes)
        if added:
            session.apply(f"Copy {len(added)} boxes", {self.current: replace(
                label, status="labelled", boxes=label.boxes + added, suggested=False)})

    def _on_canvas_edit(self: LabelView, name: str, label: Any) -> None:
        if self.session is None or self.current is None:
            return
        if label.status == "unlabelled":
            label = replace(label, status="labelled")
        self.session.apply(name, {self.current: replace(label, suggested=False)})

    def undo(self: LabelView) -> None:
        if self.session is not None:
            self.session.undo()

    def redo(self: LabelView) -> None:
        if self.session is not None:
            self.session.redo()

    def choose_tool(self: LabelView, tool: str) -> None:
        labels = self.labels
        if labels is None or tool not in TOOLS_BY_KIND[labels.kind]:
            return
        self.tool = tool
        self.toolbar.show_tools(labels.kind, tool)
        self.canvas.set_tool(tool)

    def choose_filter(self: LabelView, wanted: str) -> None:
        self.filter = wanted
        self._refilter()

    def choose_kind(self: LabelView, kind_id: str) -> None:
        """Switch what is labelled; only while nothing is labelled (the labels of one kind are not another's)."""
        labels, session = self.labels, self.session
        spec = self.saving.kind_spec(kind_id)
        if labels is None or session is None or spec is None:
            return
        if labels.counted() and spec.kind != labels.kind:
            self.toolbar.show_kinds([(k.id, k.title, k.hint) for k in self.saving.label_kinds()], labels.label_kind)
            QMessageBox.information(self, "Label kind", f"This folder already has {len(labels.counted())} "
                                    f"{labels.kind} labels. Clear them (or open another folder) to label "
                                    f"{spec.title.lower()} instead.")
            return

        def switch(target: LabelSet) -> None:
            target.kind, target.label_kind = spec.kind, spec.id
            for name in ((("good",) if spec.kind == "masks" else ()) + tuple(spec.classes)):
                if name not in target.class_names:
                    target.add_class(name)

        session.change_classes(f"Label {spec.title}", switch)
        self._show_kind()
        self._refilter()

    # ---- classes ------------------------------------------------------------------------
    def add_class(self: LabelView, name: str) -> None:
        self._class_edit(f"Add class {name}", lambda labels: labels.add_class(name))
        if self.labels is not None and self.current_class is None:
            self.current_class = self.labels.class_names[-1]

    def rename_class(self: LabelView, old: str, new: str) -> None:
        self._class_edit(f"Rename {old} to {new}", lambda labels: labels.rename_class(old, new))
        if self.current_class == old:
            self.current_class = new

    def recolour_class(self: LabelView, name: str, colour: str) -> None:
        self._class_edit(f"Colour of {name}", lambda labels: labels.set_colour(name, colour))

    def _class_edit(self: LabelView, what: str, change: Any) -> None:
        if self.session is None:
            return
        try:
            self.session.change_classes(what, change)
        except ValueError as error:
            QMessageBox.warning(self, "Classes", str(error))
