"""FieldNote: a warning or error in words, with its icon, shown next to the setting that causes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStyle, QWidget

from cnnstudio.gui.widgets import palette

_ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
_COLOURS = {"error": palette.ERROR, "warning": palette.WARNING, "info": "palette(text)"}
_ORDER = {"error": 0, "warning": 1, "info": 2}


class FieldNote(QWidget):
    """An icon and wrapped text; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 4)
        self.icon = QLabel(self)
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.icon.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.severity = ""
        self.setVisible(False)

    @property
    def text(self) -> str:
        return self.label.text()

    def show_note(self, severity: str, text: str) -> None:
        """Show one message with the icon of its severity ("error", "warning" or "info")."""
        self.severity = severity
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = self.style().standardIcon(_ICONS.get(severity, _ICONS["info"]))
        self.icon.setPixmap(icon.pixmap(size, size))
        self.label.setStyleSheet(f"color: {_COLOURS.get(severity, 'palette(text)')};")
        self.label.setText(text)
        self.setToolTip(text)
        self.setVisible(True)

    def show_problems(self, problems: Sequence[Any]) -> None:
        """Show problems (objects with ``severity`` and ``message``), the most severe icon first; hide if none."""
        if not problems:
            self.clear()
            return
        ranked = sorted(problems, key=lambda p: _ORDER.get(p.severity, 3))
        self.show_note(ranked[0].severity, "\n\n".join(p.message for p in ranked))

    def clear(self) -> None:
        self.severity = ""
        self.label.clear()
        self.setVisible(False)
