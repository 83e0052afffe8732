"""ModelView, the Model tab: shape the CNN (preset, conv layers, pooling, head) and see its summary and advice.

Every edit builds a new RunConfig and hands it to ``controller.set_config``;
the view redraws from ``controller.config_changed`` (a dataset change, a
preset, another tab), so there is one source of truth and no feedback loop.
Warnings from the core appear under the control whose field causes them; an
invalid setting sets ``blocking_problem`` and emits ``validity_changed`` so
the Train tab can refuse to start and say why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.presets import apply_preset, preset
from cnnstudio.gui.tabs.model import model_hints
from cnnstudio.gui.tabs.model.model_form import ModelForm
from cnnstudio.gui.tabs.model.summary_table import SummaryTable, format_count, format_shape
from cnnstudio.gui.widgets.field_note import FieldNote
from cnnstudio.gui.workers.summary_worker import DatasetFigures, SummaryResult, SummaryWorker

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController


@dataclass(frozen=True)
class Problem:
    """A problem found in the GUI (an invalid field, a head that does not fit), shaped like core.summary.Problem.

    core.summary imports torch, which must not load before the window is shown.
    """

    code: str
    severity: str
    field: str
    message: str


# The first summary imports torch: wait until the window is up (or the tab is shown) before asking.
FIRST_SUMMARY_DELAY_MS = 800


class ModelView(QWidget):
    """Edits ``controller.config.model`` and ``controller.config.head``; shows the layer summary and advice."""

    validity_changed = Signal(bool, str)  # can train?, why not ("" when it can)
    summary_shown = Signal()  # a new summary and its advice are on screen

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.blocking_problem: str | None = None
        self.advice: list[Problem] = []
        self._config_problems: list[Problem] = []
        self._summary_result: SummaryResult | None = None
        self._summaries_started = False
        self._heads_key: Any = None

        self.form = ModelForm(self)
        self.blocking_note = FieldNote(self)
        self.summary_caption = QLabel("Computing the model summary...", self)
        self.summary_caption.setWordWrap(True)
        self.memory_label = QLabel("", self)  # the training memory estimate, one line
        self.memory_label.setWordWrap(True)
        self.memory_label.setToolTip(model_hints.MEMORY)
        self.summary_table = SummaryTable(self)
        self.advice_box = QWidget(self)
        self.advice_layout = QVBoxLayout(self.advice_box)
        self.advice_none = QLabel("No warnings for this model.", self.advice_box)
        self.advice_layout.addWidget(self.advice_none)
        self.advice_layout.addStretch(1)
        self._advice_notes: list[FieldNote] = []
        self._build_layout()

        self.worker = SummaryWorker(self)
        self.worker.finished.connect(self._on_summary)
        self.form.preset_combo.activated.connect(self._on_preset_chosen)
        self.form.model_edited.connect(self._on_model_edited)
        self.form.head_chosen.connect(self._on_head_chosen)
        controller.config_changed.connect(self._on_config_changed)
        controller.plugins_reloaded.connect(self._on_plugins_reloaded)
        controller.dataset_loaded.connect(self._on_dataset_loaded)
        self._on_config_changed(controller.config)
        QTimer.singleShot(FIRST_SUMMARY_DELAY_MS, self._start_summaries)

    def _build_layout(self) -> None:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(400)

        summary_panel = QWidget(self)
        summary_layout = QVBoxLayout(summary_panel)
        summary_layout.setContentsMargins(6, 0, 0, 0)
        title = QLabel("<b>Layers</b> (for one image)", summary_panel)
        title.setToolTip(model_hints.SUMMARY)
        summary_layout.addWidget(title)
        summary_layout.addWidget(self.summary_table, 1)
        summary_layout.addWidget(self.summary_caption)
        summary_layout.addWidget(self.memory_label)

        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(scroll)
        top.addWidget(summary_panel)
        top.setStretchFactor(0, 0)
        top.setStretchFactor(1, 1)
        top.setSizes([440, 560])

        advice_scroll = QScrollArea(self)
        advice_scroll.setWidgetResizable(True)
        advice_scroll.setWidget(self.advice_box)
        advice_panel = QWidget(self)
        advice_layout = QVBoxLayout(advice_panel)
        advice_layout.setContentsMargins(0, 0, 0, 0)
        advice_layout.addWidget(QLabel("<b>Advice on this model</b>", advice_panel))
        advice_layout.addWidget(advice_scroll, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(advice_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setSizes([600, 130])

        layout = QVBoxLayout(self)
        layout.addWidget(self.blocking_note)
        layout.addWidget(self.splitter, 1)
        self.blocking_note.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # ---- the controller's side ----------------------------------------------------
    def _on_config_changed(self, config: RunConfig) -> None:
        self._show_heads(config)
        self.form.show_config(config)
        self.form.show_loaded_size(self.loaded_image_size(), config.model.input_size)
        self._check(config)

    def _on_dataset_loaded(self, spec: Any, imageset: Any) -> None:
        """A folder loaded at its own size ("auto") sets Model input to that size while it is at the default."""
        from cnnstudio.core.model.input_size import followed_input_size

        config = self.controller.config
        try:
            option = spec.resolve_options(config.dataset.options).get("size")
        except ConfigError:
            return
        followed = followed_input_size(config.model.input_size, option, self.loaded_image_size())
        if followed is not None:
            self.controller.set_config(replace(config, model=replace(config.model, input_size=followed)))

    def loaded_image_size(self) -> int | None:
        """The size images are loaded at: the loaded dataset's images, else the config's ``size`` option."""
        images = getattr(self.controller.imageset, "images", None)
        if images is not None and getattr(images, "ndim", 0) == 4:
            return int(images.shape[-1])
        size = self.controller.config.dataset.options.get("size")
        return int(size) if isinstance(size, int) else None

    def _on_plugins_reloaded(self) -> None:
        self._heads_key = None
        self._on_config_changed(self.controller.config)

    def _show_heads(self, config: RunConfig) -> None:
        spec = self.controller.spec
        key = (id(self.controller.manager), getattr(spec, "id", None), getattr(spec, "task", None))
        if key != self._heads_key:
            self._heads_key = key
            heads = self.controller.manager.heads_for_task(spec.task) if spec is not None else []
            self.form.set_heads(getattr(spec, "default_head", ""), heads)
        self.form.select_head(config.head.id)

    # ---- the person's side --------------------------------------------------------
    def _on_preset_chosen(self, index: int) -> None:
        name = self.form.preset_combo.itemData(index)
        config = self.controller.config
        try:
            new = apply_preset(config, name)
        except ConfigError:  # another field (e.g. training) is invalid: apply the preset anyway and say so
            model, overrides = preset(name)
            new = replace(config, model=model, training=replace(config.training, **overrides))
        self.controller.set_config(new)

    def _on_model_edited(self, changes: dict) -> None:
        config = self.controller.config
        self.controller.set_config(replace(config, model=replace(config.model, **changes)))

    def _on_head_chosen(self, head_id: str) -> None:
        config = self.controller.config
        if head_id != config.head.id:
            self.controller.set_config(replace(config, head=replace(config.head, id=head_id, options={})))

    # ---- checking -----------------------------------------------------------------
    def num_classes(self) -> int:
        """Classes of the loaded dataset (2 before one is loaded)."""
        imageset, spec = self.controller.imageset, self.controller.spec
        names = getattr(imageset, "class_names", None) or getattr(spec, "class_names", None)
        return len(names) if names else 2

    def _num_train_images(self, config: RunConfig) -> int | None:
        labels = getattr(self.controller.imageset, "labels", None)
        if labels is None:
            return None
        share = 1.0 - config.training.val_fraction - config.training.test_fraction
        return max(int(len(labels) * share), 1)

    def _check(self, config: RunConfig) -> None:
        self._config_problems = []
        try:
            config.validate()
        except ConfigError as error:
            text = str(error)
            self._config_problems.append(Problem("invalid_config", "error", model_hints.error_field(text), text))
        head = self.form.head_problem(config.head.id, getattr(self.controller.spec, "task", ""))
        if head:
            self._config_problems.append(Problem("head_task", "error", "head.id", head))
        self._show_problems()
        if self._summaries_started:
            self._request_summary(config)

    def _request_summary(self, config: RunConfig) -> None:
        self.worker.request(config, self.num_classes(), self._num_train_images(config), self.head_build(config),
                            self.dataset_figures(config))

    def dataset_figures(self, config: RunConfig) -> DatasetFigures:
        """The images a training run of ``config`` will load and their size, without loading anything.

        A generated dataset makes ``count`` images of ``size`` (the options as they will be trained, which
        may differ from the ones loaded here); a folder gives the images loaded from it.
        """
        spec, imageset = self.controller.spec, self.controller.imageset
        if getattr(spec, "id", None) != config.dataset.id:  # not loaded yet: a registered id's spec, if any
            registered = getattr(self.controller.manager, "datasets", None)
            spec, imageset = (registered().get(config.dataset.id) if callable(registered) else None), None
        options = dict(config.dataset.options)
        if spec is not None:
            try:
                options = spec.resolve_options(config.dataset.options)
            except ConfigError:
                pass  # the config's own options as they are; the dataset panel names the bad one
        masks = getattr(spec, "task", "") == "defect"
        images = getattr(imageset, "images", None)
        loaded = images is not None and getattr(images, "ndim", 0) == 4
        count, size = options.get("count"), options.get("size")
        if not (isinstance(size, int) and size > 0):
            size = int(images.shape[-1]) if loaded else None
        if isinstance(count, int) and count > 0:
            return DatasetFigures(count, size, masks, "dataset.options.count or size")
        if loaded:
            from cnnstudio.core.model.memory_budget import dataset_on_disk

            count = int(images.shape[0])
            return DatasetFigures(count, size, masks, "the images in the folder or dataset.options.size",
                                  on_disk=dataset_on_disk(spec, options, count, size))
        return DatasetFigures(None, size, masks, "dataset.options.size")

    def head_build(self, config: RunConfig) -> Any:
        """The build function of the head this config trains with (its own, else the dataset's default), or None."""
        head_id = config.head.id or getattr(self.controller.spec, "default_head", "") or "classification"
        try:
            return self.controller.manager.head(head_id).build
        except ConfigError:
            return None  # an unknown head: the head note says so, the table shows the classifier

    def _start_summaries(self) -> None:
        if not self._summaries_started:
            self._summaries_started = True
            self._request_summary(self.controller.config)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._start_summaries()

    def _on_summary(self, result: SummaryResult) -> None:
        self._summary_result = result
        if result.summary is not None:
            self.summary_table.show_summary(result.summary)
            self.summary_caption.setText(self._caption(result.summary))
        else:
            self.summary_table.clear_summary()
            self.summary_caption.setText(result.error)
        self._show_memory(result)
        self._show_shrink_cost()
        self._show_problems()
        self.summary_shown.emit()

    def _caption(self, summary: Any) -> str:
        size, pool = summary.input_size, self.controller.config.model.global_pool
        start = (f"For one {size} x {size} image and {summary.num_classes} classes: the backbone leaves a "
                 f"{format_shape(summary.feature_shape)} map; ")
        if not summary.classifier_head:
            reads = "the head takes the whole map (its own layers are the head.* rows)"
        else:
            how = "flattened" if pool == "none" else f"one per filter, global {pool} pooling"
            reads = f"the head reads {format_count(summary.flatten_size)} values ({how})"
        return f"{start}{reads}. FLOPs = 2 x multiply-adds of conv and linear layers."

    def _show_shrink_cost(self) -> None:
        """Add to the Model input note what keeping the images' size would cost (torch is loaded by now)."""
        from cnnstudio.core.model.input_size import shrink_cost

        config, loaded = self.controller.config, self.loaded_image_size()
        if not loaded or loaded <= config.model.input_size:
            return
        cost = shrink_cost(config.model, loaded, self.num_classes(), self.head_build(config), config.head.options)
        self.form.show_loaded_size(loaded, config.model.input_size, cost)

    def _show_memory(self, result: SummaryResult) -> None:
        """One line: the training memory, its biggest parts and the memory available; every part in the tooltip."""
        estimate = result.memory
        if estimate is None:
            self.memory_label.setText("")
            self.memory_label.setToolTip(model_hints.MEMORY)
            return
        from cnnstudio.core.model.memory_budget import format_bytes  # plain Python: no torch

        room = f" of {format_bytes(result.available)} available" if result.available else ""
        self.memory_label.setText(f"Training memory: {estimate.describe()}{room}.")
        self.memory_label.setToolTip(f"{estimate.line()}.\n\n{model_hints.MEMORY}")

    def _show_problems(self) -> None:
        result = self._summary_result
        summary_advice = list(result.advice) if result is not None else []
        seen, problems = set(), []
        for problem in [*self._config_problems, *summary_advice]:
            if (problem.code, problem.field, problem.message) not in seen:
                seen.add((problem.code, problem.field, problem.message))
                problems.append(problem)
        self.advice = problems
        self.form.show_problems(problems)
        self._show_advice_list(problems, result.error if result is not None else "")
        errors = [p for p in problems if p.severity == "error"]
        self._set_blocking(errors[0].message if errors else None)

    def _show_advice_list(self, problems: list[Problem], summary_error: str) -> None:
        for note in self._advice_notes:
            note.deleteLater()
        self._advice_notes = []
        shown = [(p.severity, p.message) for p in problems]
        if summary_error:
            shown.append(("warning", summary_error))
        for severity, message in shown:
            note = FieldNote(self.advice_box)
            note.show_note(severity, message)
            self.advice_layout.insertWidget(self.advice_layout.count() - 1, note)
            self._advice_notes.append(note)
        self.advice_none.setVisible(not shown)

    def _set_blocking(self, reason: str | None) -> None:
        if reason:
            self.blocking_note.show_note("error", f"This model cannot be trained: {reason}")
        else:
            self.blocking_note.clear()
        if reason != self.blocking_problem:
            self.blocking_problem = reason
            self.validity_changed.emit(reason is None, reason or "")

    # ---- the main window's menu actions (the Model tab opens nothing) ---------------
    def choose_folder(self) -> None:
        """Not used by this tab (kept for the main window's common interface)."""

    def choose_image(self) -> None:
        """Not used by this tab (kept for the main window's common interface)."""

