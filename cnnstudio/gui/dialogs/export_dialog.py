"""Export model dialog: pick ONNX or TorchScript and a file, export, see the parity report.

The export is the app's ``export_job``, run in a child process by a
``JobRunner``: the exporters hold the GIL for seconds, which would freeze the
window on a thread. It answers with an ``ExportResult`` (the file, the parity
check, the written report read back) or the error's one-line message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.app.export_job import export_job
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.run_identity import identify_run, run_caption
from cnnstudio.gui.workers.job_runner import JobRunner

if TYPE_CHECKING:
    from cnnstudio.app.export_job import ExportResult
    from cnnstudio.gui.controller import StudioController

FORMATS = (
    ("onnx", "ONNX (.onnx)", "onnx",
     "ONNX runs in onnxruntime from Python, C++, C#, Java or JavaScript, without PyTorch. "
     "Opset: the installed torch's default."),
    ("torchscript", "TorchScript (.pt)", "pt",
     "TorchScript loads with torch.jit.load in Python or LibTorch in C++; it needs PyTorch but no CNN Studio."),
)
INTRO = (
    "The exported file takes raw RGB images as uint8 arrays (N, height, width, 3) of any size: the resize to the "
    "model's input size, the normalisation and the decision threshold are inside it. After writing it, CNN Studio "
    "runs it on at least 200 validation images and compares it with the PyTorch model: logits within 1e-4 and "
    "every decision the same, or the export is marked FAILED."
)
PASS_STYLE, FAIL_STYLE = f"color: {palette.PASSED}; font-weight: bold;", f"color: {palette.ERROR}; font-weight: bold;"


class ExportDialog(QDialog):
    """Export ``run_dir``'s model; ``finished_export(ok, data)`` carries ``ExportResult.to_dict()`` (or {"error": text})."""

    finished_export = Signal(bool, dict)

    def __init__(self, controller: StudioController, run_dir: str | Path, parent: QWidget | None = None,
                 open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = Path(run_dir)
        self.open_url = open_url
        self.job = JobRunner("export", self)
        self.job.finished.connect(self._show_result)
        self.job.failed.connect(self._show_error)
        self.exported: ExportResult | None = None
        self.setWindowTitle(f"Export model - {self.run_dir.name}")
        self.setMinimumWidth(680)

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.format = QComboBox()
        for key, title, _, tip in FORMATS:
            self.format.addItem(title, key)
            self.format.setItemData(self.format.count() - 1, tip, 3)  # 3 = Qt.ToolTipRole
        self.format.setToolTip("\n\n".join(f"{title}: {tip}" for _, title, _, tip in FORMATS))
        self.out = QLineEdit(str(self.default_path("onnx")))
        self.out.setToolTip("Where the model is written; its parity report goes next to it as <file>.parity.json.")
        choose = QPushButton("Choose...")
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(choose)
        form = QFormLayout()
        run_label = QLabel(str(self.run_dir))
        run_label.setWordWrap(True)
        run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Run:", run_label)
        # Which run and dataset, and the checkpoint when it is not the best one (a run stopped early).
        self.identity_label = QLabel(run_caption(identify_run(self.run_dir, controller)))
        self.identity_label.setWordWrap(True)
        form.addRow("Model:", self.identity_label)
        form.addRow("Format:", self.format)
        form.addRow("Save as:", row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the export reports no fractions
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # Room for two wrapped lines: a word-wrapped label in a layout is otherwise squeezed to one.
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 6)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFont("monospace"))
        self.report.setPlaceholderText("The parity report appears here after the export.")
        self.report.setMinimumHeight(150)

        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.setToolTip("Write the model file and check it against the PyTorch model")
        self.export_button.clicked.connect(self.start_export)
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setToolTip("Show the folder holding the exported model and its parity report")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.report, 1)
        layout.addLayout(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)

    def default_path(self, key: str) -> Path:
        """RUN_DIR/export/model.<ext>, where the HTML report looks for parity files."""
        return self.run_dir / "export" / f"model.{self._extension(key)}"

    @staticmethod
    def _extension(key: str) -> str:
        return next(ext for k, _, ext, _ in FORMATS if k == key)

    def _format_changed(self) -> None:
        key = self.format.currentData()
        path = Path(self.out.text().strip() or self.default_path(key))
        if path.suffix.lstrip(".") in {ext for _, _, ext, _ in FORMATS}:
            self.out.setText(str(path.with_suffix("." + self._extension(key))))

    def _choose(self) -> None:
        key = self.format.currentData()
        pattern = f"{self.format.currentText().split(' (')[0]} files (*.{self._extension(key)})"
        path, _ = QFileDialog.getSaveFileName(self, "Export model as", self.out.text(), pattern)
        if path:
            self.out.setText(path)

    @property
    def running(self) -> bool:
        return self.job.running

    def start_export(self) -> bool:
        """Start the export in a child process; False (with the reason shown) when it cannot start."""
        if self.running:
            return False
        out = self.out.text().strip()
        if not out:
            self._show_error("Choose a file to save the model as.")
            return False
        self.exported = None
        self.report.clear()
        self.open_folder.setEnabled(False)
        try:
            self.job.start(export_job, str(self.run_dir), self.format.currentData(), out)
        except OSError as error:  # no process could be started (too many open files...)
            self._show_error(f"could not start the export: {error.strerror or error}")
            return False
        self._set_busy(True)
        self.status.setStyleSheet("")
        self.status.setText("Exporting and checking parity on the validation images (this takes a few seconds to a minute)...")
        return True

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        for widget in (self.export_button, self.format, self.out):
            widget.setEnabled(not busy)

    def _show_result(self, result: ExportResult) -> None:
        self._set_busy(False)
        self.exported = result
        # ``verdict``: the check, or why the written report no longer vouches for the file (stale, missing...).
        passed, verdict = result.passed, result.verdict
        report = result.report
        self.status.setStyleSheet(PASS_STYLE if passed else FAIL_STYLE)
        self.status.setText(
            f"{'Parity passed' if passed else 'Parity ' + verdict}: max logit difference "
            f"{report.max_abs_logit_diff:.1e}, decisions agreeing "
            f"{report.decisions_agreeing}/{report.num_images}. "
            + ("The file is ready to ship." if passed else "The file was written, but do not ship it as is.")
        )
        self.report.setPlainText(f"{report.text()}\n\nModel:  {result.path}\nReport: {result.parity_file}")
        self.open_folder.setEnabled(True)
        severity = "info" if passed else "warning"
        self.controller.message.emit(severity, f"Exported {result.path}: parity {verdict}")
        self.finished_export.emit(passed, result.to_dict())

    def _show_error(self, text: str) -> None:
        self._set_busy(False)
        self.status.setStyleSheet(FAIL_STYLE)
        self.status.setText(f"Export failed: {text}")
        self.controller.message.emit("error", f"Export failed: {text}")
        self.finished_export.emit(False, {"error": text})

    def _open_folder(self) -> None:
        if self.exported is not None:
            self.open_url(QUrl.fromLocalFile(str(self.exported.path.parent)))

    def done(self, result: int) -> None:  # noqa: D102 - stops a running export when the dialog closes
        self.job.cancel()
        super().done(result)
