"""The Export model dialog, driven as a person would: choose, click Export, read the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from cnnstudio.gui.controller import StudioController
from cnnstudio.gui.dialogs.export_dialog import ExportDialog
from tests.export.export_helpers import train_tiny


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("export_dialog"), "manufacturing.surfaces", count=60)


@pytest.fixture
def controller(qtbot, tmp_path):
    studio = StudioController(runs_root=tmp_path / "runs")
    yield studio
    studio.shutdown()


def test_dialog_exports_off_the_gui_thread_and_shows_the_report(qtbot, controller, run) -> None:
    opened = []
    dialog = ExportDialog(controller, run, open_url=opened.append)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.out.text() == str(run / "export" / "model.onnx")
    dialog.format.setCurrentIndex(dialog.format.findData("torchscript"))
    assert dialog.out.text() == str(run / "export" / "model.pt")
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000) as finished:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible() and not dialog.export_button.isEnabled()
    passed, data = finished.args
    assert passed is True
    assert "Parity passed" in dialog.status.text() and "decisions agreeing" in dialog.status.text()
    assert "Parity PASSED" in dialog.report.toPlainText() and "max |logit difference|" in dialog.report.toPlainText()
    assert (run / "export" / "model.pt").is_file()
    assert json.loads((run / "export" / "model.pt.parity.json").read_text(encoding="utf-8"))["passed"] is True
    assert not dialog.progress.isVisible() and dialog.export_button.isEnabled()
    dialog.grab().save("/tmp/export_dialog_passed.png")
    qtbot.mouseClick(dialog.open_folder, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(run / "export")]


def test_dialog_shows_a_readable_error_for_a_bad_run_folder(qtbot, controller, tmp_path) -> None:
    messages = []
    controller.message.connect(lambda severity, text: messages.append((severity, text)))
    dialog = ExportDialog(controller, tmp_path / "gone")
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as finished:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert finished.args[0] is False
    assert "run folder not found" in dialog.status.text() and str(tmp_path / "gone") in dialog.status.text()
    assert "Traceback" not in dialog.status.text()
    assert messages and messages[-1][0] == "error"
    dialog.grab().save("/tmp/export_dialog_error.png")
