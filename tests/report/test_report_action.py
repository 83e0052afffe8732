"""File > Write report...: the report is written by a child process; the window shows where, or why not."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QMessageBox, QWidget
from report_helpers import parse_page, train_tiny_run

from cnnstudio.gui.controller import StudioController
from cnnstudio.gui.workers.report_action import NO_RUN, ReportAction


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("report_gui"), "retail.products")


@pytest.fixture
def report_action(qtbot, tmp_path):
    controller = StudioController(runs_root=tmp_path / "runs")
    window = QWidget()
    qtbot.addWidget(window)
    action = ReportAction(controller, window)
    messages: list[tuple[str, str]] = []
    controller.message.connect(lambda severity, text: messages.append((severity, text)))
    yield action, controller, messages
    action.shutdown()
    controller.shutdown()


def test_writing_the_current_runs_report_offers_to_open_it(qtbot, report_action, run, tmp_path) -> None:
    action, controller, messages = report_action
    controller.current_run = str(run)
    opened: list[QUrl] = []
    action.open_url = opened.append
    out = tmp_path / "from the menu.html"
    with qtbot.waitSignal(action.finished, timeout=120_000) as finished:
        assert action.start(out=out)
        assert action.running and not action.action.isEnabled()  # the window goes on while the child works
    assert finished.args == [str(out), ""]
    assert parse_page(out).find_all("h2")
    assert action.action.isEnabled() and not action.running
    box = action.box
    assert box.isVisible() and str(out) in box.text()
    (browse,) = [b for b in box.buttons() if b.text() == "Open in browser"]
    qtbot.mouseClick(browse, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(out))]
    assert ("info", f"Report written: {out}") in messages


def test_a_folder_that_is_not_a_run_shows_the_error(qtbot, report_action, tmp_path) -> None:
    action, controller, messages = report_action
    folder = tmp_path / "empty folder"
    folder.mkdir()
    controller.current_run = str(folder)
    with qtbot.waitSignal(action.finished, timeout=120_000) as finished:
        assert action.start(out=tmp_path / "r.html")
    path, error = finished.args
    assert path == "" and "empty folder" in error and "config.toml is missing" in error
    assert action.box.isVisible() and action.box.icon() == QMessageBox.Icon.Warning and error in action.box.text()
    assert messages[-1] == ("error", f"Report not written: {error}")
    assert not (tmp_path / "r.html").exists()


def test_without_a_run_the_menu_entry_says_what_to_do(report_action) -> None:
    action, controller, messages = report_action
    controller.current_run = ""
    action.action.trigger()
    assert messages == [("warning", NO_RUN)] and not action.running and action.box is None
