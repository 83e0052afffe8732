"""DatasetOptionsForm: a dataset's options (``DatasetSpec.options``) as spin boxes, combo boxes and check boxes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QWidget

INT_LIMIT = 2_147_483_647
# Options whose plain name reads like another setting: "size" looked like the Model tab's input size.
LABELS = {"size": "Load images at"}
SUFFIXES = {"size": " px"}
NOTES = {"size": " Not the model's input size: the Model tab's \"Model input\" resizes the loaded images again."}


def option_label(name: str) -> str:
    """'defect_rate' -> 'Defect rate'; 'size' -> 'Load images at'."""
    if name in LABELS:
        return LABELS[name]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


class DatasetOptionsForm(QWidget):
    """One editor per option, filled with ``values`` (defaults where a value is missing)."""

    def __init__(self, options: Sequence[Any], values: dict[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = list(options)
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow panel puts fields under labels
        values = values or {}
        for option in self.options:
            editor = self._editor(option)
            self._set(editor, option, values.get(option.name, option.default))
            tip = option.help or option.name
            limits = self._limits_text(option)
            editor.setToolTip(f"{tip}{limits} (default: {option.default}).{NOTES.get(option.name, '')}")
            if isinstance(editor, QSpinBox) and option.name in SUFFIXES:
                editor.setSuffix(SUFFIXES[option.name])
            self.editors[option.name] = editor
            layout.addRow(option_label(option.name), editor)
            layout.labelForField(editor).setToolTip(editor.toolTip())

    @staticmethod
    def _limits_text(option: Any) -> str:
        if option.minimum is None and option.maximum is None:
            return ""
        low = "" if option.minimum is None else f"{option.minimum:g}"
        high = "" if option.maximum is None else f"{option.maximum:g}"
        return f"; {low}..{high}"

    @staticmethod
    def _editor(option: Any) -> QWidget:
        default = option.default
        if option.choices is not None:
            combo = QComboBox()
            for choice in option.choices:
                combo.addItem(str(choice), choice)
            return combo
        if isinstance(default, bool):
            return QCheckBox()
        if isinstance(default, int):
            spin = QSpinBox()
            spin.setRange(int(option.minimum if option.minimum is not None else -INT_LIMIT),
                          int(option.maximum if option.maximum is not None else INT_LIMIT))
            spin.setGroupSeparatorShown(True)
            return spin
        if isinstance(default, float):
            double = QDoubleSpinBox()
            double.setDecimals(3)
            double.setRange(option.minimum if option.minimum is not None else -1e9,
                            option.maximum if option.maximum is not None else 1e9)
            span = (option.maximum or 1.0) - (option.minimum or 0.0)
            double.setSingleStep(0.05 if span <= 1.0 else 0.1)
            return double
        return QLineEdit()

    @staticmethod
    def _set(editor: QWidget, option: Any, value: Any) -> None:
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(index if index >= 0 else max(editor.findData(option.default), 0))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))

    def set_value(self, name: str, value: Any) -> None:
        """Put ``value`` into the editor of option ``name``."""
        option = next(o for o in self.options if o.name == name)
        self._set(self.editors[name], option, value)

    def values(self) -> dict[str, Any]:
        """The options as edited, typed like their defaults."""
        result: dict[str, Any] = {}
        for option in self.options:
            editor = self.editors[option.name]
            if isinstance(editor, QComboBox):
                result[option.name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                result[option.name] = editor.isChecked()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                result[option.name] = editor.value()
            elif isinstance(editor, QLineEdit):
                result[option.name] = editor.text()
        return result
