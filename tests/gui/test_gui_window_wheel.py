"""The mouse wheel over the Model form scrolls the page: it changes a combo box or spin box only once it has focus."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from cnnstudio.gui.widgets.wheel_guard import GUARD_NAME, WheelGuard, install_wheel_guard


def turn_wheel(widget: QWidget, notches: int) -> QWheelEvent:
    """Send a wheel event of ``notches`` (positive: up, away from the person) to the middle of ``widget``."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
    return event


def open_model_tab(qtbot, window) -> None:
    bar = window.tabs.tabBar()
    index = window.tabs.indexOf(window.model_view)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: window.model_view.isVisible())


def focus(qtbot, widget: QWidget) -> None:
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def test_the_wheel_over_an_unfocused_pooling_combo_leaves_the_model_alone(window, qtbot) -> None:
    open_model_tab(qtbot, window)
    combo, before = window.model_view.form.pooling_combo, window.controller.config.model.pooling
    assert not combo.hasFocus()
    for notches in (-1, -1, 1):
        event = turn_wheel(combo, notches)
        assert not event.isAccepted()  # handed on to the scroll area around the form
    assert combo.currentData() == before and window.controller.config.model.pooling == before


def test_the_wheel_changes_the_pooling_combo_once_it_has_focus(window, qtbot) -> None:
    open_model_tab(qtbot, window)
    combo = window.model_view.form.pooling_combo
    assert window.controller.config.model.pooling == "max"
    focus(qtbot, combo)
    turn_wheel(combo, -1)
    assert combo.currentData() == "avg" and window.controller.config.model.pooling == "avg"


def test_the_wheel_over_an_unfocused_spin_box_leaves_its_value(window, qtbot) -> None:
    open_model_tab(qtbot, window)
    spin, before = window.model_view.form.input_size_spin, window.controller.config.model.input_size
    turn_wheel(spin, 1)
    assert spin.value() == before and window.controller.config.model.input_size == before

    focus(qtbot, spin)
    turn_wheel(spin, 1)
    assert spin.value() == before + spin.singleStep()
    assert window.controller.config.model.input_size == before + spin.singleStep()


def test_settings_take_focus_from_clicks_and_tabs_but_not_from_the_wheel(window) -> None:
    form = window.model_view.form
    for widget in (form.pooling_combo, form.dropout_spin, form.input_size_spin, window.threshold_view.slider):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_the_guard_is_installed_once_however_many_windows_open(window) -> None:
    install_wheel_guard()
    guards = [child for child in QApplication.instance().children() if child.objectName() == GUARD_NAME]
    assert len(guards) == 1 and isinstance(guards[0], WheelGuard)
