"""The Train tab: training settings, Start and Stop, live curves, progress, advice and the run's outcome.

It draws the trainer's events (``controller.run_event``) and never trains
itself: Start and Stop call the controller, which runs the training child.
When a past run is opened (``controller.run_opened``) and nothing trains, its
``metrics.jsonl`` is shown on the same plots.
"""

from __future__ import annotations

import html
import importlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.events import Advice, BatchEnded, CheckpointWritten, EpochEnded, RunFailed, RunFinished, RunStarted
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.gui.tabs.train.train_progress import TrainingProgress
from cnnstudio.gui.tabs.train.training_settings import TrainingSettings
from cnnstudio.gui.widgets.icons import icon
from cnnstudio.gui.widgets.run_identity import training_dataset
from cnnstudio.gui.widgets.run_text import advice_html, failed_html, finished_html, threads_text

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

START_TIP = "Train the model on the Model tab with these settings, in a separate process (Ctrl+R)."
STOP_TIP = ("Stop within a second or two. Everything done so far is kept: the curves, the best and last weights; "
            "the epoch under way is left out.")


def _warm_up_pyqtgraph() -> None:
    """Import pyqtgraph (about a second) on a worker thread, so the plots appear without freezing the window."""
    threading.Thread(target=importlib.import_module, args=("pyqtgraph",), name="cnnstudio-import-plots",
                     daemon=True).start()


class TrainView(QWidget):
    """Settings on the left; on the right Start/Stop, progress, loss and accuracy plots, advice, outcome."""

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._curves: Any = None  # CurvesPanel, built when first needed (pyqtgraph imports slowly)
        self.run_dir = ""  # the run being trained or shown
        self._live = False  # the curves show the run that is training (or just trained)
        self._advice: list[Advice] = []
        self._last_checkpoint = ""
        self._pace = TrainingProgress()  # the progress bar's text of the live run

        self.settings = TrainingSettings(controller, self)
        scroll = QScrollArea(self)
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(310)
        scroll.setMaximumWidth(400)

        self.start_button = QPushButton(icon("start"), "Start training")
        self.start_button.setToolTip(START_TIP)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setToolTip(STOP_TIP)
        self.stop_button.setEnabled(False)
        self.state_label = QLabel("")
        self.state_label.setWordWrap(True)  # "training on N images, validating on M ..." is long on a small screen
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.state_label, 1)
        self.dataset_label = QLabel("")  # which dataset Start trains on (the one loaded in the Datasets list)
        self.dataset_label.setWordWrap(True)
        self.dataset_label.setTextFormat(Qt.TextFormat.RichText)

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
        right.addWidget(self.dataset_label)
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
        controller.config_changed.connect(lambda *_: self._show_dataset())
        controller.dataset_loaded.connect(lambda *_: self._show_dataset())
        self._show_dataset()
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
            from cnnstudio.gui.widgets.curves import CurvesPanel

            self._curves = CurvesPanel(self)
            self.plots_area.replaceWidget(self._placeholder, self._curves)
            self._placeholder.deleteLater()
        return self._curves

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, lambda: self.curves)

    def _show_dataset(self) -> None:
        _, title = training_dataset(self.controller)
        self.dataset_label.setText(f"Start trains on: <b>{html.escape(title)}</b> "
                                   f"(to train on another dataset, select it on the left and press Load)")

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
        self.state_label.setText({"starting": "starting the training process...", "stopping": "stopping...",
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
        self.curves.clear()
        self.advice_label.hide()
        self.summary_label.hide()
        self.progress.setRange(0, 0)  # busy until the child reports
        self.progress.setFormat("starting...")

    def _on_event(self, event: Any) -> None:
        if isinstance(event, BatchEnded):
            self.curves.add_batch(event.epoch, event.batch, event.num_batches, event.loss, event.accuracy)
            self._pace.batch(event)
            self._show_progress()
        elif isinstance(event, EpochEnded):
            self.curves.add_epoch(event.epoch, event.metrics, event.is_best)
            self._pace.epoch(event)
            self._show_progress()
        elif isinstance(event, RunStarted):
            self._on_started(event)
        elif isinstance(event, Advice):
            # A newer word on the same matter (a longer epoch estimate) replaces the older one.
            self._advice = [*(a for a in self._advice if a.code != event.code), event]
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
        self.curves.set_epoch_span(event.start_epoch, event.epochs)
        self.progress.setRange(0, 1000)
        self._pace.started(event)
        threads = threads_text(event.threads)
        self.state_label.setText(
            f"training on {event.num_train} images, validating on {event.num_val}"
            f"{f', testing on {event.num_test}' if event.num_test else ''} ({event.device}, {threads})"
        )
        self._eta_timer.start()  # the text says how long the batch under way has been running
        self._show_progress()

    def _show_progress(self) -> None:
        if self.progress.maximum() == 0:
            return  # "starting...": no run reported yet
        self.progress.setValue(int(1000 * self._pace.fraction))
        self.progress.setFormat(self._pace.text())

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
