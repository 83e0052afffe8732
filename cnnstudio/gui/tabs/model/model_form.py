"""ModelForm: the Model tab's controls (preset, conv layers, pooling, dropout, head...) with a note under each.

The form only shows a config and reports what the person changed
(``model_edited`` with ModelConfig field -> value, ``head_chosen``); the
ModelView turns that into a new RunConfig for the controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.config import ACTIVATIONS, GLOBAL_POOLS, POOLINGS, RunConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.presets import PRESET_DESCRIPTIONS, PRESETS, preset
from cnnstudio.gui.tabs.model import model_hints
from cnnstudio.gui.tabs.model.conv_layer_editor import ConvLayerEditor
from cnnstudio.gui.widgets.field_note import FieldNote

if TYPE_CHECKING:
    from cnnstudio.core.specs import HeadSpec

GLOBAL_POOL_LABELS = {"none": "none (flatten the whole map)", "avg": "avg (mean of each filter's map)",
                      "max": "max (strongest response of each filter)"}


class ModelForm(QWidget):
    """Every model and head control; ``notes[control]`` is the FieldNote under each one."""

    model_edited = Signal(dict)  # ModelConfig field -> new value
    head_chosen = Signal(str)  # head id, "" for the dataset's default

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes: dict[str, FieldNote] = {}
        self._head_ids: list[str] = []
        layout = QVBoxLayout(self)

        preset_box = QGroupBox("Preset", self)
        preset_layout = QVBoxLayout(preset_box)
        self.preset_combo = QComboBox(preset_box)
        for name in PRESETS:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESET_DESCRIPTIONS[name], Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip(model_hints.PRESET)
        self.preset_description = QLabel(preset_box)
        self.preset_description.setWordWrap(True)
        self.preset_edited = QLabel(preset_box)
        self.preset_edited.setWordWrap(True)
        self.preset_edited.setStyleSheet("color: palette(mid); font-style: italic;")
        for widget in (self.preset_combo, self.preset_description, self.preset_edited):
            preset_layout.addWidget(widget)
        layout.addWidget(preset_box)

        conv_box = QGroupBox("Conv layers", self)
        conv_box.setToolTip(model_hints.CONV_LAYERS)
        conv_layout = QVBoxLayout(conv_box)
        self.conv_editor = ConvLayerEditor(conv_box)
        self.conv_editor.layers_edited.connect(lambda layers: self._emit(conv_layers=layers))
        conv_layout.addWidget(self.conv_editor)
        conv_layout.addWidget(self._note("conv_layers", conv_box))
        layout.addWidget(conv_box)

        options_box = QGroupBox("Layers and head", self)
        form = QFormLayout(options_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.pooling_combo = self._combo(POOLINGS, model_hints.POOLING, "pooling")
        self.activation_combo = self._combo(ACTIVATIONS, model_hints.ACTIVATION, "activation")
        self.batch_norm_check = QCheckBox("after each conv layer", self)
        self.batch_norm_check.setToolTip(model_hints.BATCH_NORM)
        self.batch_norm_check.toggled.connect(lambda on: self._emit(batch_norm=on))
        self.dropout_spin = QDoubleSpinBox(self)
        self.dropout_spin.setRange(0.0, 0.95)
        self.dropout_spin.setSingleStep(0.05)
        self.dropout_spin.setDecimals(2)
        self.dropout_spin.setKeyboardTracking(False)
        self.dropout_spin.setSpecialValueText("off")
        self.dropout_spin.setToolTip(model_hints.DROPOUT)
        self.dropout_spin.valueChanged.connect(lambda value: self._emit(dropout=round(value, 2)))
        self.global_pool_combo = self._combo(GLOBAL_POOLS, model_hints.GLOBAL_POOL, "global_pool", GLOBAL_POOL_LABELS)
        self.input_size_spin = QSpinBox(self)
        self.input_size_spin.setRange(4, 1024)
        self.input_size_spin.setSingleStep(8)
        self.input_size_spin.setSuffix(" px")
        self.input_size_spin.setKeyboardTracking(False)
        self.input_size_spin.setToolTip(model_hints.INPUT_SIZE)
        self.input_size_spin.valueChanged.connect(lambda value: self._emit(input_size=value))
        # Not in ``notes``: problems replace those, while this one follows the loaded dataset.
        self.loaded_size_note = FieldNote(options_box)
        self.normalize_check = QCheckBox("subtract the mean, divide by the spread", self)
        self.normalize_check.setToolTip(model_hints.NORMALIZE)
        self.normalize_check.toggled.connect(lambda on: self._emit(normalize_inputs=on))
        self.head_combo = QComboBox(self)
        self.head_combo.setToolTip(model_hints.HEAD)
        self.head_combo.activated.connect(lambda index: self.head_chosen.emit(self.head_combo.itemData(index) or ""))
        for label, widget, key in (
            ("Pooling", self.pooling_combo, "pooling"), ("Activation", self.activation_combo, "activation"),
            ("Batch-norm", self.batch_norm_check, "batch_norm"), ("Dropout", self.dropout_spin, "dropout"),
            ("Global pool", self.global_pool_combo, "global_pool"), ("Model input", self.input_size_spin, "input_size"),
            ("Normalise inputs", self.normalize_check, "normalize_inputs"), ("Head", self.head_combo, "head"),
        ):
            caption = QLabel(label, options_box)
            caption.setToolTip(widget.toolTip())
            form.addRow(caption, widget)
            form.addRow(self._note(key, options_box))
            if key == "input_size":
                form.addRow(self.loaded_size_note)
        layout.addWidget(options_box)
        layout.addStretch(1)

    def _note(self, key: str, parent: QWidget) -> FieldNote:
        self.notes[key] = FieldNote(parent)
        return self.notes[key]

    def _combo(self, values: Sequence[str], tip: str, field: str, labels: dict[str, str] | None = None) -> QComboBox:
        combo = QComboBox(self)
        for value in values:
            combo.addItem((labels or {}).get(value, value), value)
        combo.setToolTip(tip)
        combo.activated.connect(lambda index: self._emit(**{field: combo.itemData(index)}))
        return combo

    def _emit(self, **changes: Any) -> None:
        self.model_edited.emit(changes)

    # ---- showing a config ---------------------------------------------------------
    def show_config(self, config: RunConfig) -> None:
        """Set every control from ``config`` without emitting edits."""
        model = config.model
        widgets = (self.preset_combo, self.pooling_combo, self.activation_combo, self.global_pool_combo,
                   self.batch_norm_check, self.dropout_spin, self.input_size_spin, self.normalize_check)
        blockers = [QSignalBlocker(widget) for widget in widgets]
        index = self.preset_combo.findData(model.preset)
        self.preset_combo.setCurrentIndex(max(index, 0))
        self.preset_description.setText(PRESET_DESCRIPTIONS.get(model.preset, ""))
        self.preset_edited.setText("" if model_matches_preset(model, model.preset) else
                                   f"Edited since choosing '{model.preset}': choose it again to start over.")
        self.preset_edited.setVisible(bool(self.preset_edited.text()))
        for combo, value in ((self.pooling_combo, model.pooling), (self.activation_combo, model.activation),
                             (self.global_pool_combo, model.global_pool)):
            combo.setCurrentIndex(max(combo.findData(value), 0))
        self.batch_norm_check.setChecked(bool(model.batch_norm))
        self.dropout_spin.setValue(float(model.dropout))
        self.input_size_spin.setValue(int(model.input_size))
        self.normalize_check.setChecked(bool(model.normalize_inputs))
        del blockers
        self.conv_editor.set_layers(model.conv_layers)

    def show_loaded_size(self, loaded: int | None, model_input: int, cost: tuple[float, float] | None = None) -> None:
        """Say so under Model input when images are loaded at another size (``loaded``; None: unknown), with
        ``cost`` (compute, memory multiples) of keeping their size when the model shrinks them."""
        text = model_hints.loaded_size_note(loaded, model_input, cost)
        if text:
            self.loaded_size_note.show_note("info", text)
        else:
            self.loaded_size_note.clear()

    def set_heads(self, default_head: str, heads: Sequence[HeadSpec]) -> None:
        """List "default (<dataset's head>)" then every head that fits the dataset's task."""
        with QSignalBlocker(self.head_combo):
            self.head_combo.clear()
            default = f"default ({default_head})" if default_head else "default (load a dataset first)"
            self.head_combo.addItem(default, "")
            self.head_combo.setItemData(0, "The head the dataset recommends.", Qt.ItemDataRole.ToolTipRole)
            for head in heads:
                self.head_combo.addItem(f"{head.id}: {head.title}", head.id)
                self.head_combo.setItemData(self.head_combo.count() - 1, head.description or head.title,
                                            Qt.ItemDataRole.ToolTipRole)
        self._head_ids = [head.id for head in heads]

    def select_head(self, head_id: str) -> None:
        with QSignalBlocker(self.head_combo):
            index = self.head_combo.findData(head_id)
            if index < 0:  # a head from a saved config that this dataset cannot use: show it, the note says why
                self.head_combo.addItem(f"{head_id} (does not fit this dataset)", head_id)
                index = self.head_combo.count() - 1
            self.head_combo.setCurrentIndex(index)

    def head_problem(self, head_id: str, task: str) -> str:
        """Why ``head_id`` cannot be used with the loaded dataset, or ""."""
        if not head_id or not task or head_id in self._head_ids:
            return ""
        return (f"head.id '{head_id}' cannot serve this dataset's '{task}' task; "
                f"choose one of: default, {', '.join(self._head_ids)}.")

    def show_problems(self, problems: Sequence[Any]) -> None:
        """Put each problem under the control its field belongs to; mark conv rows the advice names."""
        by_control: dict[str, list[Any]] = {key: [] for key in self.notes}
        rows: dict[int, tuple[str, str]] = {}
        for problem in problems:
            control = model_hints.control_for_field(problem.field)
            if control in by_control:
                by_control[control].append(problem)
            row = model_hints.conv_index(problem.field)
            if row is not None and row not in rows:
                rows[row] = (problem.severity, problem.message)
        for key, note in self.notes.items():
            note.show_problems(by_control[key])
        self.conv_editor.mark_rows(rows)


def model_matches_preset(model: Any, name: str) -> bool:
    """True when ``model`` is exactly the preset ``name``'s model."""
    try:
        return preset(name)[0] == model
    except ConfigError:
        return False
