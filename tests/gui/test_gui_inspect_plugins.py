"""Plugins dialog: every plugin with what it adds, a failing folder plugin with its message, Reload."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from cnnstudio.gui.dialogs.plugins_dialog import PLUGIN_COLUMNS, PluginsDialog
from cnnstudio.host.manager import get_plugin_manager

BUNDLED = ("retail", "manufacturing", "documents", "logos", "mvtec_folders", "yolo_folders", "class_folders")


@pytest.fixture
def plugin_folder(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.setenv("CNNSTUDIO_PLUGIN_PATH", str(folder))
    yield folder
    monkeypatch.delenv("CNNSTUDIO_PLUGIN_PATH")
    get_plugin_manager(reload=True)  # leave the process-wide manager as other tests expect it


def rows(dialog):
    tree = dialog.plugins_tree
    return {tree.topLevelItem(i).text(0): [tree.topLevelItem(i).text(c) for c in range(len(PLUGIN_COLUMNS))]
            for i in range(tree.topLevelItemCount())}


def test_dialog_lists_plugins_failures_and_reloads(qtbot, controller, plugin_folder):
    (plugin_folder / "exploding_plugin.py").write_text("raise RuntimeError('boom: this plugin is broken')\n")
    controller.reload_plugins()
    dialog = PluginsDialog(controller)
    qtbot.addWidget(dialog)
    dialog.show()

    listed = rows(dialog)
    for name in BUNDLED:
        assert name in listed, f"{name} missing from {sorted(listed)}"
    adds = PLUGIN_COLUMNS.index("Adds")
    assert "retail.products" in listed["retail"][adds]
    assert "manufacturing.surfaces" in listed["manufacturing"][adds] and "heatmap" in listed["manufacturing"][adds]
    assert "marketing.logos" in listed["logos"][adds]
    assert "folder layouts" in listed["mvtec_folders"][adds]
    assert listed["retail"][PLUGIN_COLUMNS.index("Origin")]

    failing = [dialog.failures_tree.topLevelItem(i) for i in range(dialog.failures_tree.topLevelItemCount())]
    boom = [item for item in failing if "exploding_plugin" in item.text(0)]
    assert boom and "boom: this plugin is broken" in boom[0].text(3) and boom[0].text(2) == "import"
    dialog.failures_tree.setCurrentItem(boom[0])
    assert not dialog.traceback_text.isVisible()
    qtbot.mouseClick(dialog.traceback_button, Qt.MouseButton.LeftButton)
    assert dialog.traceback_text.isVisible()
    assert "RuntimeError" in dialog.traceback_text.toPlainText()
    folder_labels = [label.text() for label in dialog.folders_box.findChildren(QLabel)]
    assert any(str(plugin_folder) in text for text in folder_labels)
    assert len(dialog.folder_buttons) == 2  # the user's folder and the CNNSTUDIO_PLUGIN_PATH one

    # fix the plugin, Reload: the failure is gone and the fixed plugin is listed
    (plugin_folder / "exploding_plugin.py").write_text("'''A harmless plugin.'''\n")
    with qtbot.waitSignal(controller.plugins_reloaded, timeout=30_000):
        qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert not any("exploding_plugin" in f.plugin for f in dialog.failures)
    assert all(name in rows(dialog) for name in BUNDLED)
