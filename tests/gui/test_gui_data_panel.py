"""The dataset panel: choosing each domain's dataset, its options, opening folders (good, broken, not a dataset)."""

from __future__ import annotations

import pytest
from gui_data_helpers import LOAD_TIMEOUT_MS, click_dataset, data_widgets, load_dataset, write_broken_folder
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

DOMAINS = {
    "retail.products": ("Retail", {"shoe", "handbag"}),
    "manufacturing.surfaces": ("Manufacturing", {"ok", "defect"}),
    "documents.forgery": ("Documents", {"genuine", "forged"}),
    "marketing.logos": ("Marketing", {"no_logo", "logo"}),
}


def test_panel_lists_domains_and_describes_the_selected_dataset(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel = host.panel
    domains = {panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())}
    assert {domain for domain, _ in DOMAINS.values()} <= domains
    click_dataset(qtbot, panel, "manufacturing.surfaces")
    text = panel.description.toPlainText()
    assert "Surface defects" in text and "Task: defect" in text and "Default head: defect_map" in text
    assert set(panel.form.editors) == {"count", "size", "seed", "difficulty", "defect_rate", "defect_types", "textures"}
    assert panel.form.editors["defect_rate"].value() == pytest.approx(0.2)


@pytest.mark.parametrize("dataset_id", list(DOMAINS))
def test_choosing_each_domain_dataset_fills_the_grid(qtbot, controller, dataset_id):
    host = data_widgets(qtbot, controller)
    panel, view = host
    imageset = load_dataset(qtbot, controller, panel, dataset_id, count=72, size=24)
    assert controller.config.dataset.options["count"] == 72
    assert view.model.rowCount() == 72 == len(imageset)
    assert tuple(imageset.images.shape[2:]) == (24, 24)
    shown = {view.model.data(view.model.index(row)) for row in range(view.model.rowCount())}
    assert shown == DOMAINS[dataset_id][1] == set(imageset.class_names)
    assert panel.load_button.text() == "Reload with these options"
    assert not panel.busy.isVisible() and not panel.status.isVisible()


def test_apply_reloads_with_edited_options(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel, view = host
    load_dataset(qtbot, controller, panel, "retail.products", count=60, size=16)
    imageset = load_dataset(qtbot, controller, panel, "retail.products", count=90, classes="5")
    assert view.model.rowCount() == 90
    assert view.chart.class_names == ["shoe", "handbag", "t-shirt", "bottle", "watch"] == imageset.class_names
    assert panel.form.values()["count"] == 90  # the form keeps what was loaded


def test_broken_folder_lists_each_unreadable_file_and_why(qtbot, controller, tmp_path, monkeypatch):
    folder = write_broken_folder(tmp_path / "photos")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    host = data_widgets(qtbot, controller)
    panel, view = host
    with qtbot.waitSignal(controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        qtbot.mouseClick(panel.folder_button, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 10
    assert view.skipped.toggle.text() == "Files that could not be read (2)"
    assert view.skipped.table.isVisible()
    reasons = dict(view.skipped.rows())
    assert set(reasons) == {str(folder / "defect" / "truncated.png"), str(folder / "ok" / "notes.png")}
    assert "truncated" in reasons[str(folder / "defect" / "truncated.png")]
    assert "not a readable image" in reasons[str(folder / "ok" / "notes.png")]
    assert panel.selected_key() == f"folder:{folder}"  # listed under "Opened folders", with its options
    assert "size" in panel.form.editors


def test_folder_that_is_not_a_dataset_shows_the_reason_inline(qtbot, controller, tmp_path, monkeypatch):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(tmp_path / "notes"))
    host = data_widgets(qtbot, controller)
    panel, view = host
    with qtbot.waitSignal(controller.dataset_failed, timeout=LOAD_TIMEOUT_MS) as blocker:
        panel.choose_folder()
        assert panel.busy.isVisible() and view.summary.text().startswith("Loading")
    message = blocker.args[1]
    assert message.startswith(f"no images found in {tmp_path / 'notes'}")
    assert panel.status.isVisible() and panel.status.text() == message
    assert not panel.busy.isVisible()
    assert view.model.rowCount() == 0


def _drop(widget, folder) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    position = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


@pytest.mark.parametrize("target", ["panel", "view"])
def test_dropping_a_folder_loads_it(qtbot, controller, tmp_path, target):
    folder = write_broken_folder(tmp_path / "dropped")
    host = data_widgets(qtbot, controller)
    panel, view = host
    with qtbot.waitSignal(controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        _drop(panel if target == "panel" else view, folder)
    assert view.model.rowCount() == 10
    assert controller.spec.id == f"folder:{folder}"


def test_reloading_plugins_keeps_the_list_and_selection(qtbot, controller):
    host = data_widgets(qtbot, controller)
    panel = host.panel
    click_dataset(qtbot, panel, "marketing.logos")
    before = [item.data(0, Qt.ItemDataRole.UserRole) for item in panel._items()]
    with qtbot.waitSignal(controller.plugins_reloaded):
        controller.reload_plugins()
    assert [item.data(0, Qt.ItemDataRole.UserRole) for item in panel._items()] == before
    assert panel.selected_key() == "marketing.logos"
