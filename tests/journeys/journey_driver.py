"""Drive the real CNN Studio window the way a person does: menus, shortcuts, buttons, typing, drops.

The only thing replaced is the operating system's file dialog (``QFileDialog``'s
static calls), which a test cannot click. Everything else goes through the
widgets: actions are found by their menu text, spin boxes are typed into,
buttons are clicked with the mouse, folders are dropped as the file manager
drops them.

    studio = Studio.open(qtbot, home)               # a MainWindow with home/settings.ini, as `make run` shows it
    studio.press("Ctrl+O")                          # File > Open image folder..., answered by studio.answer_dialogs
    studio.train(epochs=2)                          # Train tab: type the epochs, click Start, wait for the end
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QFileDialog, QMessageBox, QWidget

SCREENSHOTS_ENV = "CNNSTUDIO_JOURNEY_SCREENSHOTS"  # a folder: journeys save what the window shows there
RUN_TIMEOUT_MS = 180_000
LOAD_TIMEOUT_MS = 60_000


class Studio:
    """One real MainWindow over a fresh settings file, and the person's hands on it."""

    def __init__(self, qtbot: Any, home: Path, window: Any) -> None:
        self.qtbot = qtbot
        self.home = home
        self.window = window
        self.controller = window.controller
        self.messages: list[str] = []  # the text of every message box the window opened
        self.dialog_answers: list[str] = []  # what the next QFileDialog calls return, in order
        self._closer = QTimer()
        self._closer.setInterval(50)
        self._closer.timeout.connect(self._close_message_boxes)
        self._closer.start()

    @classmethod
    def open(cls, qtbot: Any, monkeypatch: Any, home: Path, wait_for_dataset: bool = True) -> Studio:
        """Launch the window as the app does (settings in ``home``), and wait for its first dataset."""
        from cnnstudio.gui.main_window import MainWindow

        settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        studio = cls(qtbot, home, window)
        studio._replace_file_dialogs(monkeypatch)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        if wait_for_dataset:
            with qtbot.waitSignal(window.controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
                window.start()
        else:
            window.start()
        return studio

    def close(self) -> None:
        """File > Quit, as a person leaves the app."""
        self.trigger("File", "Quit")
        self.qtbot.waitUntil(lambda: not self.window.isVisible(), timeout=10_000)
        self._closer.stop()

    # ---- the file dialog, replaced at its call ------------------------------------
    def _replace_file_dialogs(self, monkeypatch: Any) -> None:
        def answer(*_args: Any, **_kwargs: Any) -> Any:
            assert self.dialog_answers, "a file dialog opened that the test did not expect"
            return self.dialog_answers.pop(0)

        def answer_pair(*args: Any, **kwargs: Any) -> tuple[str, str]:
            return answer(*args, **kwargs), ""

        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(answer))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(answer_pair))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer_pair))

    def _close_message_boxes(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible() and widget.text():
                if widget.standardButtons() & QMessageBox.StandardButton.Ok or widget.standardButtons() == \
                        QMessageBox.StandardButton.NoButton:
                    self.messages.append(widget.text())
                    widget.close()

    # ---- hands --------------------------------------------------------------------
    def action(self, menu: str, text: str) -> Any:
        """The QAction under ``menu`` whose text (without & and ...) is ``text``."""
        def clean(label: str) -> str:
            return label.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".").strip()

        for top in self.window.menuBar().actions():
            if clean(top.text()) == menu and top.menu() is not None:
                for action in top.menu().actions():
                    if clean(action.text()) == text:
                        return action
                raise AssertionError(f"no '{text}' in the {menu} menu: "
                                     f"{[clean(a.text()) for a in top.menu().actions() if a.text()]}")
        raise AssertionError(f"no menu '{menu}'")

    def trigger(self, menu: str, text: str) -> None:
        """Click ``menu`` > ``text``."""
        action = self.action(menu, text)
        assert action.isEnabled(), f"{menu} > {text} is disabled"
        action.trigger()

    def press(self, keys: str, widget: QWidget | None = None) -> None:
        """Type a key sequence (``"Ctrl+O"``) into the focused window."""
        target = widget or self.window
        if QApplication.activeModalWidget() is None and QApplication.activeWindow() is not self.window:
            # A person clicks back into the window after closing a message box; the keys then go there.
            self.window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is self.window, timeout=5_000)
        QTest.keySequence(target, QKeySequence(keys))

    def click(self, button: QWidget) -> None:
        assert button.isVisible(), f"{button.text() if hasattr(button, 'text') else button} is not on screen"
        assert button.isEnabled(), f"{button.text() if hasattr(button, 'text') else button} is disabled"
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def type_into(self, field: QAbstractSpinBox, value: Any) -> None:
        """Select a spin box's text, type ``value`` and press Enter."""
        field.setFocus()
        field.selectAll()
        self.qtbot.keyClicks(field, str(value))
        self.qtbot.keyClick(field, Qt.Key.Key_Return)
        assert field.text().replace(field.suffix(), "").strip() == str(value), field.text()

    def choose(self, combo: QComboBox, text: str) -> None:
        """Pick ``text`` in a combo box with the keyboard, as a person does after clicking it."""
        index = combo.findText(text)
        assert index >= 0, f"no '{text}' in {[combo.itemText(i) for i in range(combo.count())]}"
        combo.setFocus()
        while combo.currentIndex() != index:
            key = Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up
            self.qtbot.keyClick(combo, key)

    def click_cell(self, table: Any, row: int, column: int) -> None:
        """Click one cell of a table view with the mouse."""
        rect = table.visualRect(table.model().index(row, column))
        self.qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def tab(self, view: QWidget) -> QWidget:
        """Click the tab that holds ``view``."""
        tabs = self.window.tabs
        index = tabs.indexOf(view)
        assert index >= 0
        bar = tabs.tabBar()
        self.qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        assert tabs.currentWidget() is view
        return view

    def drop(self, widget: QWidget, path: Path) -> None:
        """Drag ``path`` from the file manager and drop it on ``widget``."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        point = QPoint(widget.width() // 2, widget.height() // 2)
        actions = Qt.DropAction.CopyAction | Qt.DropAction.LinkAction
        enter = QDragEnterEvent(point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, enter)
        assert enter.isAccepted(), f"{type(widget).__name__} refused the drag of {path}"
        drop = QDropEvent(QPointF(point), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, drop)

    # ---- waiting for outcomes -------------------------------------------------------
    def open_folder(self, folder: Path) -> Any:
        """Ctrl+O, answer the folder dialog with ``folder``, wait until the Data tab shows it."""
        self.dialog_answers.append(str(folder))
        with self.qtbot.waitSignal(self.controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
            self.press("Ctrl+O")
        return self.controller.spec

    def pick_dataset(self, key: str, **options: Any) -> Any:
        """Click a dataset in the list, type its options, press Load, wait for the Data tab to show it."""
        panel = self.window.dataset_panel
        item = next(item for item in panel._items() if item.data(0, Qt.ItemDataRole.UserRole) == key)
        panel.tree.scrollToItem(item)
        self.qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton,
                              pos=panel.tree.visualItemRect(item).center())
        for name, value in options.items():
            editor = panel.form.editors[name]
            if isinstance(editor, QComboBox):
                self.choose(editor, str(value))
            else:
                editor.setFocus()
                editor.selectAll()
                self.qtbot.keyClicks(editor, str(value))
                editor.interpretText()
        with self.qtbot.waitSignal(self.controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
            self.click(panel.load_button)
        return self.controller.imageset

    def train(self, epochs: int | None = None) -> str:
        """Train tab: type the epochs, click Start, wait for the run to finish; the run folder."""
        view = self.tab(self.window.train_view)
        if epochs is not None:
            self.type_into(view.settings.epochs, epochs)
        finished: list[Any] = []

        def on_event(event: Any) -> None:
            if type(event).__name__ in ("RunFinished", "RunFailed"):
                finished.append(event)

        self.controller.run_event.connect(on_event)
        try:
            self.click(view.start_button)
            self.qtbot.waitUntil(lambda: bool(finished) and self.controller.run_state == "idle",
                                 timeout=RUN_TIMEOUT_MS)
        finally:
            self.controller.run_event.disconnect(on_event)
        event = finished[-1]
        assert type(event).__name__ == "RunFinished", f"training failed: {getattr(event, 'message', event)}"
        return str(event.run_dir)

    def start_until(self, epochs: int, event_name: str) -> Any:
        """Train tab: type the epochs, click Start, and return the run's first ``event_name`` event
        (the run goes on training)."""
        view = self.tab(self.window.train_view)
        self.type_into(view.settings.epochs, epochs)
        seen: list[Any] = []

        def on_event(event: Any) -> None:
            if type(event).__name__ == event_name:
                seen.append(event)

        self.controller.run_event.connect(on_event)
        try:
            self.click(view.start_button)
            self.qtbot.waitUntil(lambda: bool(seen), timeout=RUN_TIMEOUT_MS)
        finally:
            self.controller.run_event.disconnect(on_event)
        return seen[0]

    def snapshot(self, name: str, widget: QWidget | None = None) -> None:
        """Save the window (or ``widget``, a dialog) as NAME.png in $CNNSTUDIO_JOURNEY_SCREENSHOTS
        (scripts/screenshots.sh sets it)."""
        folder = os.environ.get(SCREENSHOTS_ENV)
        if folder:
            QApplication.processEvents()
            (widget or self.window).grab().save(str(Path(folder) / f"{name}.png"))

    def wait_for(self, condition: Any, timeout: int = 60_000) -> None:
        self.qtbot.waitUntil(condition, timeout=timeout)
