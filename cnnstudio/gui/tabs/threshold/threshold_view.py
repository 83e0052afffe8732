"""The Threshold tab: choose the decision threshold of a two-class defect / forgery / logo run, and save it.

The run's validation split is evaluated once (the shared ``controller.evaluations``
loader, on a worker); its scores (``1 - p(class 0)``, as the heads compute them)
give the histograms and curves once per report. Moving the slider, the spin
box or the histogram's line only recounts ``confusion_at`` on those cached
scores, so it is live. Saving writes the threshold into every checkpoint of
the run (``core.threshold.set_run_threshold``, on a worker), so
``cnnstudio predict`` and exports apply exactly the value shown here.
"""

from __future__ import annotations

import logging
import math
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.tabs.threshold.threshold_controls import HIGHEST, LOWEST, STEPS, ThresholdControls
from cnnstudio.gui.tabs.threshold.threshold_counts import ConfusionPanel
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.run_identity import identify_run, run_caption
from cnnstudio.gui.workers.background import emit_safely, in_background

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

log = logging.getLogger(__name__)

NO_RUN = "Train a model first (Train tab) or open a run (Runs tab); its threshold is chosen here."
NOT_THRESHOLDED = (
    "<b>{run}</b>: this run tells {count} classes apart and decides by the highest probability; "
    "there is no threshold to choose.<br><br>"
    "A threshold applies to two-class runs (ok / defect, genuine / forged, no logo / logo, or any two class "
    "folders, normal first): they flag an image as the second class when its score, 1 - p(first class), "
    "reaches the threshold. Train a two-class run and open it here."
)
SLIDER_TIP = (
    "The decision threshold: an image is flagged as {pos} when its score (1 - p({neg})) is at or above it.<br>"
    "Lower it to catch more defects: fewer ship to customers, but more false alarms stop the line.<br>"
    "Raise it for fewer false alarms, at the price of more missed defects."
)


class ThresholdView(QWidget):
    """Histograms, ROC / PR curves and a live confusion matrix for a threshold slider; saves it to the run."""

    _saved = Signal(str, float, str)  # run_dir, the saved threshold (NaN on failure), error message

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = ""
        self.caption = ""  # which run and dataset (and checkpoint, when not the best), for the top line
        self.report: Any = None
        self.scores: np.ndarray | None = None
        self.positives: np.ndarray | None = None
        self.saved_threshold: float | None = None
        self.value = 0.5
        self.counts: Any = None  # the Confusion at ``value``
        self.plots: Any = None  # ScorePlots, made with the first report (pyqtgraph loads then)
        self._wanted = False  # the run needs an evaluation once the tab is shown
        self._saving = False
        self._build()
        self._saved.connect(self._on_saved)
        controller.run_opened.connect(self.use_run)
        controller.evaluations.ready.connect(self._on_report)
        controller.run_state_changed.connect(lambda _state: self._update_state())
        controller.run_event.connect(lambda _event: self._update_state())
        self.use_run(controller.current_run)

    # ---- layout -----------------------------------------------------------------
    def _build(self) -> None:
        self.run_label = QLabel(NO_RUN)
        self.run_label.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setTextFormat(Qt.TextFormat.RichText)
        self.notice.setStyleSheet(f"QLabel {{ color: {palette.AXIS_TEXT}; font-size: 14px; padding: 24px; }}")
        self.content = QWidget()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.notice)
        self.pages.addWidget(self.content)

        self.plots_box = QVBoxLayout()
        self.plots_box.setContentsMargins(0, 0, 0, 0)
        controls = ThresholdControls()
        for name in ("slider", "spin", "saved_label", "save_button", "revert_button", "recall_target",
                     "recall_button", "fpr_target", "fpr_button", "solver_note"):
            setattr(self, name, getattr(controls, name))
        self.slider.valueChanged.connect(lambda step: self.set_threshold(step / STEPS, self.slider))
        self.spin.valueChanged.connect(lambda value: self.set_threshold(value, self.spin))
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.recall_button.clicked.connect(self.solve_recall)
        self.fpr_button.clicked.connect(self.solve_fpr)


        self.counts_panel = ConfusionPanel()
        bottom = QHBoxLayout()
        bottom.addWidget(controls, 3)
        bottom.addWidget(self.counts_panel, 2)
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(self.plots_box, 1)
        content.addLayout(bottom)

        layout = QVBoxLayout(self)
        layout.addWidget(self.run_label)
        layout.addWidget(self.pages, 1)

    # ---- the run and its evaluation ------------------------------------------------
    def use_run(self, run_dir: str) -> None:
        """Show ``run_dir`` (evaluated on its validation split when the tab is visible)."""
        self.run_dir = str(run_dir or "")
        self.report = self.scores = self.positives = self.counts = None
        self.saved_threshold = None
        self._wanted = False
        if not self.run_dir:
            self.run_label.setText(NO_RUN)
            self._show_notice(NO_RUN)
            return
        name = Path(self.run_dir).name
        self.caption = run_caption(identify_run(self.run_dir, self.controller))
        self.run_label.setText(self.caption)
        head_id, class_names = _head_and_classes(self.run_dir)
        if head_id == "classification" and len(class_names) > 2:  # run.json says so: no need to evaluate
            self._show_notice(NOT_THRESHOLDED.format(run=name, count=len(class_names)))
            return
        self._show_notice(f"Evaluating <b>{name}</b> on its validation split...")
        self._wanted = True
        if self.isVisible():
            self._request()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._wanted:
            self._request()

    def _request(self) -> None:
        self._wanted = False
        self.controller.evaluations.request(self.run_dir, "val")

    def _on_report(self, run_dir: str, split: str, report: Any, error: str) -> None:
        if run_dir != self.run_dir or split != "val" or (report is not None and report is self.report):
            return
        name = Path(run_dir).name
        if report is None:
            self._show_notice(f"<b>{name}</b> could not be evaluated:<br>{error}")
            return
        if report.threshold is None:
            self._show_notice(NOT_THRESHOLDED.format(run=name, count=len(report.class_names)))
            return
        from cnnstudio.core.evaluate.threshold_curves import report_scores, score_curves, score_histograms

        try:
            scores, positives = report_scores(report)
            curves = score_curves(scores, positives)
            histogram = score_histograms(scores, positives)
        except CNNStudioError as problem:
            self._show_notice(f"<b>{name}</b>: {problem}")
            return
        unsaved = self.saved_threshold is not None and not self._is_saved(self.value)
        self.report, self.scores, self.positives = report, scores, positives
        self.saved_threshold = float(np.float32(report.threshold))
        negative, positive = self.class_names()
        if self.plots is None:
            from cnnstudio.gui.tabs.threshold.score_plots import ScorePlots

            self.plots = ScorePlots(self.content)
            self.plots.threshold_dragged.connect(lambda value: self.set_threshold(value, self.plots))
            self.plots_box.addWidget(self.plots)
        self.plots.show_scores(histogram, curves, negative, positive)
        self.counts_panel.set_class_names(negative, positive)
        self.slider.setToolTip(SLIDER_TIP.format(pos=positive, neg=negative))
        self.spin.setToolTip(self.slider.toolTip())
        self.run_label.setText(
            f"{self.caption}<br>Validation split, {len(scores)} images: {int((~positives).sum())} {negative}, "
            f"{int(positives.sum())} {positive}. An image is flagged as <b>{positive}</b> when its score "
            f"1 - p({negative}) is at or above the threshold."
        )
        self.pages.setCurrentWidget(self.content)
        self.set_threshold(self.value if unsaved else self.saved_threshold)

    def class_names(self) -> tuple[str, str]:
        """(the normal class, the flagged class or classes) of the shown report."""
        names = list(getattr(self.report, "class_names", None) or ["normal", "defect"])
        return names[0], (names[1] if len(names) == 2 else f"not {names[0]}")

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.pages.setCurrentWidget(self.notice)
        self._update_state()

    # ---- the threshold ------------------------------------------------------------
    def set_threshold(self, value: float, source: Any = None) -> None:
        """Make ``value`` the current threshold: move every control but ``source``, recount the confusion matrix."""
        value = min(max(float(value), LOWEST), HIGHEST)
        self.value = value
        if source is not self.slider:
            _quietly(self.slider, lambda: self.slider.setValue(round(value * STEPS)))
        if source is not self.spin:
            _quietly(self.spin, lambda: self.spin.setValue(value))
        if self.scores is not None:
            from cnnstudio.core.evaluate.threshold_curves import confusion_at

            # The heads compare float32 scores with a float32 threshold: count exactly that.
            self.counts = confusion_at(self.scores, self.positives, float(np.float32(value)))
            self.counts_panel.show_counts(self.counts)
            if self.plots is not None:
                self.plots.show_threshold(value, self.counts)
        self._update_state()

    def solve_recall(self) -> None:
        """Move to the highest threshold whose validation recall is at least the target."""
        from cnnstudio.core.evaluate.threshold_curves import highest_threshold_with_recall

        target = self.recall_target.value()
        negative, positive = self.class_names()
        self._solve(lambda: highest_threshold_with_recall(self.scores, self.positives, target),
                    f"The highest threshold that still flags at least {100 * target:.1f}% of the {positive} "
                    f"validation images (the fewest false alarms that allows)")

    def solve_fpr(self) -> None:
        """Move to the lowest threshold whose validation false-positive rate is at most the target."""
        from cnnstudio.core.evaluate.threshold_curves import lowest_threshold_with_fpr

        target = self.fpr_target.value()
        negative, positive = self.class_names()
        self._solve(lambda: lowest_threshold_with_fpr(self.scores, self.positives, target),
                    f"The lowest threshold that flags at most {100 * target:.1f}% of the {negative} validation "
                    f"images (the most {positive} caught that allows)")

    def _solve(self, solver: Any, goal: str) -> None:
        if self.scores is None:
            return
        try:
            value = solver()
        except CNNStudioError as problem:
            self.solver_note.setText(palette.error_html(problem))
            return
        self.set_threshold(value)
        self.solver_note.setText(f"{goal}: <b>{value:.4f}</b>, not saved yet.")

    def revert(self) -> None:
        """Back to the threshold saved in the run."""
        if self.saved_threshold is not None:
            self.set_threshold(self.saved_threshold)

    def _is_saved(self, value: float) -> bool:
        return self.saved_threshold is not None and float(np.float32(value)) == self.saved_threshold

    def training_this_run(self) -> bool:
        """Whether the training child is writing this run's weights now."""
        process = self.controller.process
        run_dir = getattr(process, "run_dir", "") if process is not None else ""
        return bool(run_dir and self.run_dir) and Path(run_dir).resolve() == Path(self.run_dir).resolve()

    def _update_state(self) -> None:
        ready = self.scores is not None
        unsaved = ready and not self._is_saved(self.value)
        training = self.training_this_run()
        for widget in (self.slider, self.spin, self.recall_button, self.fpr_button, self.recall_target,
                       self.fpr_target):
            widget.setEnabled(ready)
        self.save_button.setEnabled(unsaved and not training and not self._saving)
        self.revert_button.setEnabled(unsaved and not self._saving)
        if not ready:
            self.saved_label.setText("")
        elif self._saving:
            self.saved_label.setText(f"saved: {self.saved_threshold:.3f} · saving {self.value:.4f}...")
        elif training:
            self.saved_label.setText(f"saved: {self.saved_threshold:.3f} · this run is training: save when it ends")
        elif unsaved:
            self.saved_label.setText(f"saved: {self.saved_threshold:.3f} · <b style='color:{palette.NOTE}'>unsaved change</b>")
        else:
            self.saved_label.setText(f"saved: {self.saved_threshold:.3f} · in use by predict and exports")

    # ---- saving -----------------------------------------------------------------
    def save(self) -> None:
        """Write the current threshold into the run's weights on a worker thread."""
        if self.scores is None or self._saving or self.training_this_run():
            return
        self._saving = True
        self._update_state()
        in_background("cnnstudio-threshold-save", self._save_worker, self.run_dir, self.value, uses_torch=True)

    def _save_worker(self, run_dir: str, value: float) -> None:
        try:
            from cnnstudio.core.evaluate.threshold import set_run_threshold

            emit_safely(self._saved, run_dir, set_run_threshold(run_dir, value), "")
        except CNNStudioError as problem:
            emit_safely(self._saved, run_dir, math.nan, str(problem))
        except Exception as problem:  # a damaged weights file: say it, keep the window
            log.error("saving the threshold of %s failed:\n%s", run_dir, traceback.format_exc())
            emit_safely(self._saved, run_dir, math.nan,
                        f"{run_dir}: the threshold could not be saved ({type(problem).__name__}: {problem})")

    def _on_saved(self, run_dir: str, value: float, error: str) -> None:
        self._saving = False
        if error:
            self.controller.message.emit("error", error)
        else:
            self.controller.evaluations.forget(run_dir)
            if run_dir == self.run_dir:
                self.saved_threshold = float(np.float32(value))
            self.controller.message.emit(
                "info", f"Threshold {value:.3f} saved to {Path(run_dir).name}: cnnstudio predict and exports now use it")
        self._update_state()


def _head_and_classes(run_dir: str) -> tuple[str, list[str]]:
    """The run's head id and class names from its run.json ("" and [] when it cannot be read)."""
    try:
        from cnnstudio.core.runs.folder import RunFolder

        info = RunFolder(run_dir).read_info()
        return str(info.get("head_id", "")), [str(name) for name in info.get("class_names", [])]
    except (CNNStudioError, OSError, ValueError, TypeError):
        return "", []


def _quietly(widget: QWidget, change: Any) -> None:
    blocked = widget.blockSignals(True)
    try:
        change()
    finally:
        widget.blockSignals(blocked)
