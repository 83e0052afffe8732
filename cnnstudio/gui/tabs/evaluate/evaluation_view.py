"""The Evaluate tab: a run's confusion matrix and per-class metrics on validation or test data, and its mistakes.

    view = EvaluationView(controller)     # shows controller.current_run, or the newest run under runs_root
    view.split_box.setCurrentText("Test")
    view.confusion.cell_chosen -> the gallery below shows that cell's images, worst first

The evaluation itself (``runner.evaluate_run``) runs on the controller's
EvaluationLoader worker, and only while this tab is visible, so it never
competes with a training run the person is watching elsewhere.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from cnnstudio.gui.tabs.evaluate.class_metrics_table import ACCURACY_TIP, ClassMetricsTable
from cnnstudio.gui.tabs.evaluate.confusion_table import ConfusionTable
from cnnstudio.gui.tabs.evaluate.mistakes_gallery import MistakesGallery
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.run_identity import identify_run, run_caption
from cnnstudio.gui.workers.gradcam_loader import GradCamLoader
from cnnstudio.gui.workers.run_model_cache import RunModelCache

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

NO_RUN = "Train a model (Train tab) or open a run (Runs tab) to evaluate it here."
SPLITS = {"Validation": "val", "Test": "test"}
SPLIT_WORDS = {"val": "validation", "test": "test"}
SPLIT_TIP = ("Validation: the images used to pick the best epoch (slightly optimistic).\n"
             "Test: images the run never looked at while training: the honest estimate.")
METRIC_NAMES = {"auc": "ROC AUC", "roc_auc": "ROC AUC", "macro_f1": "macro F1", "pixel_iou": "pixel IoU",
                "pixel_auroc": "pixel AUROC", "pixel_pro": "pixel PRO",
                "precision": "precision (defect)", "recall": "recall (defect)", "f1": "F1 (defect)", "ap": "AP",
                "ap50": "AP50", "ap50_95": "AP50:95", "count_accuracy": "count right", "mean_iou": "mean IoU"}
SUMMARY_TIP = "\n\n".join([
    ACCURACY_TIP,
    "Loss: the mean cross-entropy over the split. Lower is better; unlike accuracy it also punishes "
    "confident mistakes.",
    "ROC AUC: the chance that a random positive image scores above a random negative one "
    "(0.5 = guessing, 1 = perfect), whatever the threshold.",
    "Threshold: an image is called a defect when its score is at least this (set it in the Threshold tab).",
])


class EvaluationView(QWidget):
    """Confusion matrix, per-class table and a gallery of the chosen cell's images for one run."""

    # A gallery tile to look at in Try an image: run_dir, (3, S, S) uint8 image, a name for it.
    try_image = Signal(str, object, str)
    # A gallery tile whose label is to be fixed in the Label tab: the photo's path, the class the run decided.
    fix_label = Signal(str, str)

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = ""
        self.split = "val"
        self.report: Any = None
        self.error = ""
        self.cell: tuple[int, int] | None = None
        self._shown: tuple[str, str] | None = None  # the (run, split) last requested
        self.gradcams = GradCamLoader(RunModelCache(controller, self), self)
        self._build()
        controller.run_opened.connect(self.use_run)
        controller.evaluations.ready.connect(self._on_ready)
        self._show_placeholder(NO_RUN)

    def _build(self) -> None:
        self.run_label = QLabel(NO_RUN)
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.split_box = QComboBox()
        self.split_box.addItems(list(SPLITS))
        self.split_box.setToolTip(SPLIT_TIP)
        self.split_box.currentTextChanged.connect(self._on_split)
        top = QHBoxLayout()
        top.addWidget(self.run_label, 1)
        top.addWidget(QLabel("Split:"))
        top.addWidget(self.split_box)
        self.status = QLabel("")  # "Evaluating..." or an error; hidden when empty
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setToolTip(SUMMARY_TIP)
        self.confusion = ConfusionTable()
        self.confusion.cell_chosen.connect(self.show_cell)
        self.per_class = ClassMetricsTable()
        matrix_box = QVBoxLayout()
        matrix_title = QLabel("<b>Confusion matrix</b>: rows = true class, columns = what the model said. "
                              "Click a cell to see its images.")
        matrix_title.setWordWrap(True)
        matrix_box.addWidget(matrix_title)
        matrix_box.addWidget(self.confusion, 1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        table_box = QVBoxLayout()
        table_title = QLabel("<b>Per class</b> (hover the headers for what they mean)")
        table_box.addWidget(table_title)
        table_box.addWidget(self.per_class)
        table_box.addStretch(1)
        upper = QWidget()
        upper_layout = QHBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(matrix_box, 3)
        upper_layout.addLayout(table_box, 2)
        self.gallery = MistakesGallery(self.gradcams)
        self.gallery.image_chosen.connect(self._try_image)
        self.gallery.label_fix_chosen.connect(self._fix_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.gallery)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)

    # ---- which run and split ------------------------------------------------------
    def use_run(self, run_dir: str) -> None:
        """Show ``run_dir`` (evaluated now if the tab is visible, else when it is next shown)."""
        if str(run_dir) != self.run_dir:
            self.run_dir = str(run_dir)
            self.gallery.reset_layers()
        self._refresh()

    def _on_split(self, text: str) -> None:
        self.split = SPLITS[text]
        self._refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.run_dir:
            self.run_dir = self._newest_run()
        if self.report is not None and self.controller.evaluations.cached(self.run_dir, self.split) is not self.report:
            self._shown = None  # the weights or threshold changed meanwhile (Threshold tab): evaluate again
        self._refresh()

    def _newest_run(self) -> str:
        if self.controller.current_run:
            return str(self.controller.current_run)
        from cnnstudio.core.runs.folder import list_runs

        runs = list_runs(self.controller.runs_root)
        return str(runs[-1].path) if runs else ""

    def _refresh(self) -> None:
        """Ask for the evaluation of the chosen run and split, if the tab is visible and it is not shown yet."""
        if not self.isVisible():
            return
        if not self.run_dir:
            self._show_placeholder(NO_RUN)
            return
        if self._shown == (self.run_dir, self.split):
            return
        self._shown = (self.run_dir, self.split)
        self.error = ""
        name = Path(self.run_dir).name
        # Which run, the dataset it is evaluated on (its own), and the checkpoint when it is not the best one.
        self.run_label.setText(run_caption(identify_run(self.run_dir, self.controller)))
        self.run_label.setToolTip(self.run_dir)
        self._show_placeholder(f"Evaluating {name} on the {SPLIT_WORDS[self.split]} split...")
        self.controller.evaluations.request(self.run_dir, self.split)

    def reevaluate(self) -> None:
        """Evaluate the shown run again (after its weights or threshold changed)."""
        self._shown = None
        self.controller.evaluations.forget(self.run_dir)
        self._refresh()

    def _try_image(self, position: int) -> None:
        report = self.report
        if report is None:
            return
        names = report.class_names
        true_name, decided = names[report.labels[position]], names[report.predicted[position]]
        source = Path(report.sources[position]).name if report.sources else f"image {report.indices[position]}"
        name = f"{SPLIT_WORDS.get(report.split, report.split)} {source} (true {true_name}, said {decided})"
        self.try_image.emit(self.run_dir, report.images[position], name.replace("/", " "))

    def _fix_label(self, position: int) -> None:
        report = self.report
        if report is None or not report.sources:
            return
        self.fix_label.emit(str(report.sources[position]), report.class_names[report.predicted[position]])

    # ---- results ------------------------------------------------------------------
    def _on_ready(self, run_dir: str, split: str, report: Any, error: str) -> None:
        if (run_dir, split) != (self.run_dir, self.split):
            return  # an answer for a run or split no longer chosen
        if report is not None and report is self.report:
            return  # already shown (keep the chosen cell)
        self.report, self.error = report, error
        if report is None:
            self._show_placeholder("")
            self._set_status(palette.error_html(f"Could not evaluate: {error}"))
            return
        self._set_status("")
        self.summary.setText(summary_line(report))
        self.confusion.set_matrix(report.confusion, report.class_names)
        self.per_class.set_report(report.per_class, report.class_names)
        self.cell = None
        # Open on the worst mistake's cell (the first thing worth looking at); with no mistake, on the
        # cell of the least confident right answer.
        worst = report.mistakes(1) or sorted(range(len(report.losses)), key=lambda i: -report.losses[i])[:1]
        if worst:
            self.confusion.choose(report.labels[worst[0]], report.predicted[worst[0]])

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """Show the gallery of one confusion cell."""
        if self.report is None:
            return
        self.cell = (true_class, predicted_class)
        self.gallery.show_cell(self.run_dir, self.report, true_class, predicted_class)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _show_placeholder(self, text: str) -> None:
        self.report = None
        self._set_status(text)
        self.summary.setText("")
        self.confusion.set_matrix([], [])
        self.per_class.set_report([], [])
        self.gallery.clear()
        if text == NO_RUN:
            self.run_label.setText(NO_RUN)


def summary_line(report: Any) -> str:
    """"Accuracy 93.3% · loss 0.210 · ROC AUC 0.970 · threshold 0.50 · 60 validation images" (with tooltips' words)."""
    parts = [f"<b>Accuracy {report.accuracy:.1%}</b>", f"loss {report.loss:.3f}"]
    for key, value in report.head_metrics.items():
        if key in ("accuracy", "loss") or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        parts.append(f"{METRIC_NAMES.get(key, key.replace('_', ' '))} {value:.3f}")
    if report.roc_auc is not None and not any(k in report.head_metrics for k in ("auc", "roc_auc")):
        parts.append(f"ROC AUC {report.roc_auc:.3f}")
    if report.threshold is not None:
        parts.append(f"threshold {report.threshold:.2f}")
    parts.append(f"{report.num_images} {SPLIT_WORDS.get(report.split, report.split)} images")
    return " \u00b7 ".join(parts)
