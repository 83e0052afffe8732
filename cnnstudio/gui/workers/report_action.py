"""File > Write report...: the current run's HTML report, written by a child process so the window never waits.

    report = ReportAction(controller, window)
    file_menu.addAction(report.action)

The child runs the app's ``report_job`` (evaluation, Grad-CAM and PNG encoding
take seconds and import torch) through a ``JobRunner``. When it answers, a
non-modal box says where the file is, with an "Open in browser" button, or
shows the error's one-line message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnnstudio.app.report_job import report_job
from cnnstudio.gui.workers.job_runner import JobRunner

if TYPE_CHECKING:
    from cnnstudio.app.report_job import ReportResult
    from cnnstudio.gui.controller import StudioController

ACTION_TIP = (
    "Write one HTML file about the current run: its config, loss and accuracy curves, confusion matrix, "
    "per-class precision and recall, threshold, filters, the worst mistakes with Grad-CAM, and export parity.\n"
    "Images and charts are inside the file, so it opens offline and can be mailed as it is."
)
NO_RUN = "Write report: open a run first (Runs tab) or train one."


class ReportAction(QObject):
    """The "Write report..." menu action for ``controller.current_run``, run in a child process."""

    finished = Signal(str, str)  # the written file ("" on failure), the error message ("" on success)

    def __init__(self, controller: StudioController, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window = parent
        self.job = JobRunner("report", self)
        self.job.finished.connect(self._on_written)
        self.job.failed.connect(self._on_failed)
        self.out = ""
        self.box: QMessageBox | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl  # how "Open in browser" opens the file
        self.action = QAction("Write &report...", parent)
        self.action.setToolTip(ACTION_TIP)
        self.action.setStatusTip(ACTION_TIP.split("\n")[0])
        self.action.triggered.connect(lambda: self.start())

    @property
    def running(self) -> bool:
        return self.job.running

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
        try:
            self.job.start(report_job, run_dir, out=self.out)
        except OSError as error:  # no process could be started (too many open files...)
            self._show_error(f"could not start writing the report: {error.strerror or error}")
            return False
        self.action.setEnabled(False)
        self.controller.message.emit("info", f"Writing the report of {Path(run_dir).name}...")
        return True

    def _on_written(self, result: ReportResult) -> None:
        self.action.setEnabled(True)
        self._show_success(str(result.path))

    def _on_failed(self, text: str) -> None:
        self.action.setEnabled(True)
        self._show_error(text)

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
        self.job.cancel()
