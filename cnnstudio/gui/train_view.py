"""The Train tab: training settings, Start and Stop, live curves, progress, advice and the run's outcome.

It draws the trainer's events (``controller.run_event``) and never trains
itself: Start and Stop call the controller, which runs the training child.
When a past run is opened (``controller.run_opened``) and nothing trains, its
``metrics.jsonl`` is shown on the same plots.
"""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from cnnstudio.core.events import (
    Advice, BatchEnded, CheckpointWritten, EpochEnded, RunFailed, RunFinished, RunStarted,
)
from cnnstudio.core.runs import RunFolder
from cnnstudio.errors import CNNStudioError
from cnnstudio.gui.run_text import advice_html, eta_text, finished_html, failed_html
from cnnstudio.gui.training_settings import TrainingSettings

START_TIP = "Train the model on the Model tab with these settings, in a separate process (Ctrl+R)."
STOP_TIP = "Stop after the current batch. Everything done so far is kept: the curves, the best and last weights."


def _warm_up_pyqtgraph() -> None:
    """Import pyqtgraph (about a second) on a worker thread, so the plots appear without freezing the window."""
    threading.Thread(target=importlib.import_module, args=("pyqtgraph",), name="cnnstudio-import-plots",
                     daemon=True).start()


class TrainView(QWidget):
    """Settings on the left; on the right Start/Stop, progress, loss and accuracy plots, advice, outcome."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._curves: Any = None  # CurvesPanel, built when first needed (pyqtgraph imports slowly)
        self.run_dir = ""  # the run being trained or shown
        self._live = False  # the curves show the run that is training (or just trained)
        self._advice: list[Advice] = []
        self._last_checkpoint = ""
        self._eta: tuple[float, float] | None = None  # (seconds left at the last epoch end, monotonic then)
        self._progress_parts: dict[str, str] = {}
        self._first_epoch, self._epochs = 1, 1  # the run's epoch span, from RunStarted

        self.settings = TrainingSettings(controller, self)
        scroll = QScrollArea(self)
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(330)
        scroll.setMaximumWidth(400)

        self.start_button = QPushButton("Start training")
        self.start_button.setToolTip(START_TIP)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(STOP_TIP)
        self.stop_button.setEnabled(False)
        self.state_label = QLabel("")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.state_label, 1)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not training")

        self.plots_area = QVBoxLayout()
        self._placeholder = QLabel("The loss and accuracy curves appear here when a run starts.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plots_area.addWidget(self._placeholder)

        self.advice_label = _text_label()
        self.advice_label.setToolTip("What the trainer noticed about this run, in the lesson's words.")
        self.summary_label = _text_label()

        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.progress)
        right.addLayout(self.plots_area, 1)
        right.addWidget(self.advice_label)
        right.addWidget(self.summary_label)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(controller.stop_training)
        controller.run_state_changed.connect(self._on_state)
        controller.run_event.connect(self._on_event)
        controller.run_opened.connect(self.open_run)
        self._eta_timer = QTimer(self)
        self._eta_timer.setInterval(1000)
        self._eta_timer.timeout.connect(self._show_progress)
        QTimer.singleShot(300, _warm_up_pyqtgraph)  # runs once the window is up

    # ---- plots ------------------------------------------------------------------
    @property
    def curves(self) -> Any:
        """The CurvesPanel (built on first use)."""
        if self._curves is None:
            from cnnstudio.gui.curves import CurvesPanel

            self._curves = CurvesPanel(self)
            self.plots_area.replaceWidget(self._placeholder, self._curves)
            self._placeholder.deleteLater()
        return self._curves

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, lambda: self.curves)

    # ---- actions ----------------------------------------------------------------
    def start(self) -> bool:
        """Start training the current config (what the Start button does)."""
        return bool(self.controller.start_training())

    def open_run(self, run_dir: str) -> None:
        """Show a past run's curves and outcome; ignored while a run trains, or for the run already shown live."""
        if self.controller.process is not None or (self._live and run_dir == self.run_dir):
            return
        self._live = False
        self.run_dir = run_dir
        self.curves.load_records(RunFolder(run_dir).read_metrics())
        self._advice.clear()
        self.advice_label.hide()
        summary = read_summary(run_dir)
        epochs = len(self.curves.epochs)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if summary else 0)
        self.progress.setFormat(f"{Path(run_dir).name}: {epochs} epoch{'s' if epochs != 1 else ''}")
        if summary:
            self.summary_label.setText(finished_html(
                str(summary.get("reason", "")), int(summary.get("epochs_run", epochs)),
                int(summary.get("best_epoch", 0)), dict(summary.get("metrics", {})), float(summary.get("seconds", 0)),
            ))
        else:
            self.summary_label.setText(f"<b>{Path(run_dir).name}</b>: this run has no summary (it did not finish).")
        self.summary_label.show()

    # ---- run state and events ---------------------------------------------------
    def _on_state(self, state: str) -> None:
        self.start_button.setEnabled(state == "idle")
        self.stop_button.setEnabled(state in ("starting", "training"))
        self.state_label.setText({"starting": "starting the training process...", "stopping": "stopping after this batch...",
                                  "training": "training"}.get(state, ""))
        if state == "starting":
            self._begin()
        if state == "idle":
            self._eta_timer.stop()

    def _begin(self) -> None:
        self._live = True
        self.run_dir = ""
        self._advice.clear()
        self._last_checkpoint = ""
        self._eta = None
        self._progress_parts = {}
        self.curves.clear()
        self.advice_label.hide()
        self.summary_label.hide()
        self.progress.setRange(0, 0)  # busy until the child reports
        self.progress.setFormat("starting...")

    def _on_event(self, event: Any) -> None:
        if isinstance(event, BatchEnded):
            self.curves.add_batch(event.epoch, event.batch, event.num_batches, event.loss, event.accuracy)
            self._set_progress(event.epoch - 1 + event.batch / max(1, event.num_batches))
            self._progress_parts["batch"] = f"batch {event.batch}/{event.num_batches}"
            self._progress_parts["epoch"] = f"epoch {event.epoch}/{self._epochs}"
            self._progress_parts["speed"] = f"{event.images_per_s:,.0f} images/s"
            self._show_progress()
        elif isinstance(event, EpochEnded):
            self.curves.add_epoch(event.epoch, event.metrics, event.is_best)
            self._epochs = event.epochs
            self._set_progress(float(event.epoch))
            self._progress_parts["epoch"] = f"epoch {event.epoch}/{event.epochs}"
            self._progress_parts.pop("batch", None)
            self._progress_parts["speed"] = f"{event.images_per_s:,.0f} images/s"
            self._eta = (event.eta_s, time.monotonic())
            self._eta_timer.start()
            self._show_progress()
        elif isinstance(event, RunStarted):
            self._on_started(event)
        elif isinstance(event, Advice):
            self._advice.append(event)
            self.advice_label.setText(advice_html(self._advice))
            self.advice_label.show()
        elif isinstance(event, CheckpointWritten):
            self._last_checkpoint = event.path
        elif isinstance(event, RunFinished):
            self._on_finished(event)
        elif isinstance(event, RunFailed):
            self._on_failed(event)

    def _on_started(self, event: RunStarted) -> None:
        self.run_dir = event.run_dir
        self._epochs = event.epochs
        self._first_epoch = event.start_epoch
        self.curves.set_epoch_span(event.start_epoch, event.epochs)
        self.progress.setRange(0, 1000)
        self._set_progress(event.start_epoch - 1)
        self._progress_parts = {"epoch": f"epoch {event.start_epoch}/{event.epochs}", "batch": "first batch..."}
        self.state_label.setText(
            f"training on {event.num_train} images, validating on {event.num_val}"
            f"{f', testing on {event.num_test}' if event.num_test else ''} ({event.device}, {event.threads} threads)"
        )
        self._show_progress()

    def _set_progress(self, done_epochs: float) -> None:
        total = max(1, self._epochs - self._first_epoch + 1)
        self.progress.setValue(int(1000 * min(1.0, max(0.0, (done_epochs - self._first_epoch + 1) / total))))

    def _show_progress(self) -> None:
        parts = [self._progress_parts[key] for key in ("epoch", "batch", "speed") if key in self._progress_parts]
        if self._eta is not None:
            left, when = self._eta
            parts.append(eta_text(max(0.0, left - (time.monotonic() - when))))
        self.progress.setFormat("  ·  ".join(parts) or "training...")

    def _on_finished(self, event: RunFinished) -> None:
        self._eta_timer.stop()
        self.curves.flush()
        self.run_dir = event.run_dir or self.run_dir
        self.progress.setRange(0, 1000)
        if event.reason != "cancelled":
            self.progress.setValue(1000)
        self.progress.setFormat(f"{event.reason.replace('_', ' ')} after {event.epochs_run} epoch"
                                f"{'s' if event.epochs_run != 1 else ''}")
        self.summary_label.setText(finished_html(event.reason, event.epochs_run, event.best_epoch, event.metrics,
                                                 event.seconds))
        self.summary_label.show()

    def _on_failed(self, event: RunFailed) -> None:
        self._eta_timer.stop()
        self.curves.flush()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("failed")
        run_dir = event.run_dir or self.run_dir
        self.summary_label.setText(failed_html(event.message, run_dir, self._last_checkpoint))
        self.summary_label.show()


def read_summary(run_dir: str) -> dict[str, Any]:
    """A run's summary.json, or {} when it has none (still training, killed) or it cannot be read."""
    try:
        return RunFolder(run_dir).read_summary()
    except CNNStudioError:
        return {}


def _text_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setContentsMargins(6, 4, 6, 4)
    label.hide()
    return label
