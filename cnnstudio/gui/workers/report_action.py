"""File > Write report...: the current run's HTML report, written by a child process so the window never waits.

    report = ReportAction(controller, window)
    file_menu.addAction(report.action)

The child is ``python -m cnnstudio.cli.main report RUN --out FILE`` (evaluation,
Grad-CAM and PNG encoding take seconds and import torch). When it ends, a
non-modal box says where the file is, with an "Open in browser" button, or
shows the CLI's one-line error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QProcess, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

ACTION_TIP = (
    "Write one HTML file about the current run: its config, loss and accuracy curves, confusion matrix, "
    "per-class precision and recall, threshold, filters, the worst mistakes with Grad-CAM, and export parity.\n"
    "Images and charts are inside the file, so it opens offline and can be mailed as it is."
)
NO_RUN = "Write report: open a run first (Runs tab) or train one."


class ReportAction(QObject):
    """The "Write report..." menu action for ``controller.current_run``, run in a QProcess."""

    finished = Signal(str, str)  # the written file ("" on failure), the error message ("" on success)

    def __init__(self, controller: Any, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window = parent
        self.process: QProcess | None = None
        self.out = ""
        self.box: QMessageBox | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl  # how "Open in browser" opens the file
        self.action = QAction("Write &report...", parent)
        self.action.setToolTip(ACTION_TIP)
        self.action.setStatusTip(ACTION_TIP.split("\n")[0])
        self.action.triggered.connect(lambda: self.start())

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, run_dir: str | Path | None = None, out: str | Path | None = None) -> bool:
        """Write the report of ``run_dir`` (default: the current run) to ``out`` (default: ask); False if not started."""
        run_dir = str(run_dir or self.controller.current_run or "")
        if not run_dir:
            self.controller.message.emit("warning", NO_RUN)
            return False
        if self.running:
            self.controller.message.emit("info", f"A report is already being written to {self.out}.")
            return False
        if out is None:
            suggested = str(Path(run_dir) / "report.html")
            out, _ = QFileDialog.getSaveFileName(self.window, "Write report", suggested, "HTML files (*.html)")
            if not out:
                return False
        self.out = str(out)
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "cnnstudio.cli.main", "report", run_dir, "--out", self.out])
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self.process = process
        self.action.setEnabled(False)
        self.controller.message.emit("info", f"Writing the report of {Path(run_dir).name}...")
        process.start()
        return True

    def _on_finished(self, exit_code: int, _status: Any) -> None:
        process, self.process = self.process, None
        self.action.setEnabled(True)
        if process is None:
            return
        output = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace").strip()
        errors = bytes(process.readAllStandardError().data()).decode("utf-8", "replace").strip()
        process.deleteLater()
        if exit_code == 0 and output:
            self._show_success(output.splitlines()[-1])
        else:
            lines = [line for line in errors.splitlines() if line.strip()]
            text = lines[-1] if lines else f"the report command stopped with exit code {exit_code}"
            self._show_error(text.removeprefix("cnnstudio: error: "))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            process, self.process = self.process, None
            self.action.setEnabled(True)
            process.deleteLater()
            self._show_error(f"could not start {sys.executable}: {process.errorString()}")

    def _show_success(self, path: str) -> None:
        self.controller.message.emit("info", f"Report written: {path}")
        box = self._box(QMessageBox.Icon.Information, "Report written", f"The report is in\n{path}")
        browse = box.addButton("Open in browser", QMessageBox.ButtonRole.AcceptRole)
        browse.setToolTip("Open the report in the default web browser")
        browse.clicked.connect(lambda: self.open_url(QUrl.fromLocalFile(path)))
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()
        self.finished.emit(path, "")

    def _show_error(self, text: str) -> None:
        self.controller.message.emit("error", f"Report not written: {text}")
        box = self._box(QMessageBox.Icon.Warning, "Report not written", text)
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()
        self.finished.emit("", text)

    def _box(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        if self.box is not None:
            self.box.close()
            self.box.deleteLater()
        self.box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, self.window)
        return self.box

    def shutdown(self) -> None:
        """Stop a report still being written (the window is closing)."""
        process, self.process = self.process, None
        if process is not None:
            process.finished.disconnect(self._on_finished)
            process.kill()
            process.waitForFinished(3000)
            process.deleteLater()
