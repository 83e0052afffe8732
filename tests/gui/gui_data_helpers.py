"""Helpers for the Data tab tests: the dataset panel and data view side by side, driven by mouse and keys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QHBoxLayout, QWidget

from cnnstudio.gui.tabs.data.data_view import DataView
from cnnstudio.gui.widgets.dataset_panel import DatasetPanel

LOAD_TIMEOUT_MS = 60_000


class DataHost(QWidget):
    """A shown window holding a DatasetPanel and a DataView; unpacks as (panel, view)."""

    panel: DatasetPanel
    view: DataView

    def __iter__(self):
        return iter((self.panel, self.view))


def data_widgets(qtbot, controller) -> DataHost:
    """A shown window holding a DatasetPanel and a DataView on ``controller`` (keep it referenced)."""
    host = DataHost()
    layout = QHBoxLayout(host)
    panel, view = DatasetPanel(controller, host), DataView(controller, host)
    layout.addWidget(panel)
    layout.addWidget(view, 1)
    host.panel, host.view = panel, view
    qtbot.addWidget(host)
    host.resize(1200, 800)
    host.show()
    qtbot.waitExposed(host)
    return host


def click_dataset(qtbot, panel: DatasetPanel, key: str) -> None:
    """Click the dataset's entry in the panel's list, as a person would."""
    item = next(item for item in panel._items() if item.data(0, Qt.ItemDataRole.UserRole) == key)
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.selected_key() == key


def type_option(qtbot, panel: DatasetPanel, name: str, value) -> None:
    """Type a value into the option's spin box, or pick it in its combo box."""
    editor = panel.form.editors[name]
    if isinstance(editor, QComboBox):
        editor.setCurrentIndex(editor.findText(str(value)))
    elif isinstance(editor, QAbstractSpinBox):
        editor.selectAll()
        qtbot.keyClicks(editor, str(value))
        editor.interpretText()
    else:
        qtbot.mouseClick(editor, Qt.MouseButton.LeftButton)
    assert panel.form.values()[name] == value


def load_dataset(qtbot, controller, panel: DatasetPanel, key: str, **options):
    """Click ``key``, type its options, press Load; returns the loaded ImageSet."""
    click_dataset(qtbot, panel, key)
    for name, value in options.items():
        type_option(qtbot, panel, name, value)
    with qtbot.waitSignal(controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    return blocker.args[1]


def write_broken_folder(root: Path) -> Path:
    """ok/ and defect/ class folders with good PNGs, a truncated PNG and a text file named .png."""
    rng = np.random.default_rng(0)
    for name in ("ok", "defect"):
        (root / name).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    data = (root / "ok" / "0.png").read_bytes()
    (root / "defect" / "truncated.png").write_bytes(data[: len(data) // 2])
    (root / "ok" / "notes.png").write_text("this is not an image")
    return root
