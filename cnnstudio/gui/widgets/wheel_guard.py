"""WheelGuard: the mouse wheel scrolls the page, not the combo box or spin box that happens to be under it.

Qt hands a wheel event to the widget under the mouse, so scrolling down the
Model form changed Pooling from max to avg on the way. The guard is one
application-wide event filter: a wheel event over an unfocused combo box,
spin box or slider is ignored there, and Qt passes it on to the parent (the
scroll area scrolls). Once a person has clicked or tabbed into the control,
the wheel changes it as usual. Those controls also stop taking focus from a
wheel event (``StrongFocus`` instead of ``WheelFocus``), or the first turn of
the wheel would focus them and change them anyway.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QSlider, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QSlider)
GUARD_NAME = "cnnstudio-wheel-guard"


class WheelGuard(QObject):
    """Ignores wheel events on unfocused GUARDED widgets so their scroll area gets them."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.Polish:
            if isinstance(watched, GUARDED):
                _no_wheel_focus(watched)
        elif kind == QEvent.Type.Wheel and isinstance(watched, GUARDED):
            _no_wheel_focus(watched)
            if not watched.hasFocus():
                event.ignore()  # ignored and filtered: Qt offers it to the parent widgets instead
                return True
        return False


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard | None:
    """Install the guard on ``app`` (default: the running QApplication) once; returns it (None without an app)."""
    app = app or QApplication.instance()
    if app is None:
        return None
    existing = app.findChild(QObject, GUARD_NAME)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    guard.setObjectName(GUARD_NAME)
    app.installEventFilter(guard)
    for widget in QApplication.allWidgets():  # those already polished before the guard came
        if isinstance(widget, GUARDED):
            _no_wheel_focus(widget)
    return guard


def _no_wheel_focus(widget: QWidget) -> None:
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
