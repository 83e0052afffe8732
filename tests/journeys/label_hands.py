"""The person's hands on the Label tab: typing into its dialogs, drags on the photo, waiting for saves.

    answer_next_input(qtbot, "cat")                 # the next QInputDialog gets "cat" typed and Enter
    drag(qtbot, canvas, (40, 30), (200, 150))       # a left-button drag between two photo pixels
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

LABEL_FILE = "cnnstudio-labels.json"


def answer_next_input(qtbot: Any, text: str) -> None:
    """When the next text dialog opens, type ``text`` into it and press Enter, as a person does."""
    def type_it() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QInputDialog) and widget.isVisible():
                field = widget.findChild(QLineEdit)
                field.selectAll()
                qtbot.keyClicks(field, text)
                qtbot.keyClick(field, Qt.Key.Key_Return)
                return
        QTimer.singleShot(20, type_it)

    QTimer.singleShot(20, type_it)


def viewport_point(canvas: Any, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def drag(qtbot: Any, canvas: Any, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    """Press the left button at photo pixel ``start``, move in steps to ``end``, release."""
    viewport = canvas.viewport()
    first = viewport_point(canvas, *start)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=first)
    for step in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * step / steps
        y = start[1] + (end[1] - start[1]) * step / steps
        QTest.mouseMove(viewport, viewport_point(canvas, x, y))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=viewport_point(canvas, *end))


def saved_labels(folder: Path) -> dict[str, Any]:
    """The folder's label file as JSON ({} when not written yet)."""
    path = folder / LABEL_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def wait_for_saved(qtbot: Any, folder: Path, condition: Any, timeout: int = 10_000) -> dict[str, Any]:
    """Wait until the label file on disk satisfies ``condition(images)``; its JSON."""
    qtbot.waitUntil(lambda: condition(saved_labels(folder).get("images", {})), timeout=timeout)
    return saved_labels(folder)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` impossible to write to, even for root (immutable), for the duration."""
    made = False
    if os.geteuid() != 0:
        folder.chmod(0o555)
        made = True
    elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        made = True
    probe = folder / ".probe"
    try:
        probe.touch()
        probe.unlink()
        writable = True
    except OSError:
        writable = False
    if not made or writable:
        _undo_read_only(folder)
        pytest.skip("this machine cannot make a folder read-only for the test (root without chattr)")
    try:
        yield
    finally:
        _undo_read_only(folder)


def _undo_read_only(folder: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)
