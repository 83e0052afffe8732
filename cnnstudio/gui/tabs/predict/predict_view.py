"""The Try an image tab: open or drop an image file and see what the current run's model decides.

The tab names the run whose model answers and the dataset it was trained on,
and says so when the loaded dataset is another one (``gui.run_identity``).

Double-clicking an image in the Evaluate tab's gallery opens it here too
(``predict_image``), to look at it with other Grad-CAM layers and classes.

The model (best weights, else the last of a run stopped before its first best)
is loaded once per run and predicts on a worker thread through
``TrainedModel.predict_files``; the view shows the image as the model sees it
(letterboxed to its input size), the class probabilities as
bars, the decision with score and threshold, and an explanation chosen in
the Explain row: the head's own heat map or box, or Grad-CAM (``core.gradcam``)
of any class at any backbone layer, computed on the worker for that same
letterboxed input.
"""

from __future__ import annotations

import html
import logging
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.tabs.predict.explain_controls import (
    GRADCAM,
    HEAD,
    NONE,
    ExplainControls,
    explain_with_gradcam,
    gradcam_caption,
)
from cnnstudio.gui.tabs.predict.probability_bars import ProbabilityBars
from cnnstudio.gui.tabs.predict.sample_photos import SamplePhotos
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.box_overlay import pixmap_with_boxes
from cnnstudio.gui.widgets.images import overlay_heatmap, to_qimage
from cnnstudio.gui.widgets.run_identity import identify_run, note_html, other_dataset_note, run_caption
from cnnstudio.gui.workers.background import emit_safely, in_background
from cnnstudio.gui.workers.run_model_cache import RunModelCache

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

log = logging.getLogger(__name__)

NO_RUN = "Train a model first (Train tab) or open a run (Runs tab)."
VIEW_PX = 224  # on-screen size of the model's input image
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
RESIZE_POLICY = "pad"
PAD_TIP = ("The model only ever sees input_size x input_size pixels. The image is shrunk to fit, keeping its "
           "shape, and the rest is filled with the colour of its border (letterboxing), as in training.")


class PredictView(QWidget):
    """Predict one image file with the latest run; accepts dropped image files."""

    predicted = Signal(object)  # the entry shown: predict_files' dict (with "error" for an unreadable file)
    _done = Signal(object, object, str)  # entry, fitted (H, W, 3) uint8 image or None, run_dir
    explained = Signal()  # the Explain overlay (or its error message) is on screen
    _explained = Signal(object, object, object, str)  # request key, (S, S) Grad-CAM map or None, cells, error

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = ""
        self.path = ""  # the file shown, or the name of an in-memory image (from the Evaluate gallery)
        self.image: Any = None  # that in-memory (3, H, W) uint8 image, else None
        self.entry: dict[str, Any] | None = None
        self.fitted: np.ndarray | None = None  # (S, S, 3) uint8: the input as the model sees it
        self.overlay: np.ndarray | None = None  # (S, S, 3) uint8: what the explanation picture shows
        self.gradcam: np.ndarray | None = None  # (S, S) in [0, 1]: the Grad-CAM map shown, else None
        self._gradcam_key: tuple = ()
        self._model_lock = threading.Lock()  # Grad-CAM hooks the model: one worker uses it at a time
        self.cache = RunModelCache(controller, self)
        self._done.connect(self._show)
        self._explained.connect(self._show_gradcam)
        self.setAcceptDrops(True)
        self._build()
        controller.run_opened.connect(self.use_run)
        controller.dataset_loaded.connect(lambda *_: self._show_run())

    def _build(self) -> None:
        self.run_label = QLabel(NO_RUN)
        self.run_label.setWordWrap(True)
        self.run_label.setTextFormat(Qt.TextFormat.RichText)
        self.choose_button = QPushButton("Choose image...")
        self.choose_button.setToolTip("Open an image file (or drop one anywhere on this tab).")
        self.choose_button.clicked.connect(self.choose_image)
        top = QHBoxLayout()
        top.addWidget(self.run_label, 1)
        top.addWidget(self.choose_button)
        self.samples = SamplePhotos(self)
        self.samples.chosen.connect(self.predict_file)

        self.image_label = self._picture("Drop an image file here\nor press Choose image...")
        self.image_label.setToolTip(PAD_TIP)
        self.overlay_label = self._picture("")
        self.overlay_title = QLabel("")
        self.overlay_title.setWordWrap(True)
        self.file_label = QLabel("")
        self.file_label.setWordWrap(True)
        pictures = QGridLayout()
        pictures.addWidget(QLabel("As the model sees it"), 0, 0)
        pictures.addWidget(self.overlay_title, 0, 1)
        pictures.addWidget(self.image_label, 1, 0)
        pictures.addWidget(self.overlay_label, 1, 1)
        pictures.addWidget(self.file_label, 2, 0, 1, 2)
        self.explain = ExplainControls()
        self.explain.changed.connect(self._draw_explanation)
        self.caption = self.explain.caption

        self.decision_label = QLabel("")
        self.decision_label.setWordWrap(True)
        self.decision_label.setTextFormat(Qt.TextFormat.RichText)
        self.bars_box = ProbabilityBars()
        right = QVBoxLayout()
        right.addWidget(self.decision_label)
        right.addWidget(self.bars_box)
        right.addStretch(1)

        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(palette.ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        middle = QHBoxLayout()
        middle.addLayout(pictures)
        middle.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.samples)
        layout.addWidget(self.error_label)
        layout.addWidget(self.explain)
        layout.addLayout(middle)
        layout.addWidget(self.caption)
        layout.addStretch(1)

    def _picture(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setFixedSize(VIEW_PX, VIEW_PX)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet(f"QLabel {{ border: 1px dashed {palette.DROP_BORDER}; color: {palette.DROP_TEXT}; }}")
        return label

    # ---- inputs -------------------------------------------------------------------
    @property
    def bars(self) -> dict[str, tuple[QProgressBar, QLabel]]:
        """The shown class -> (bar, percentage label)."""
        return self.bars_box.rows

    def use_run(self, run_dir: str) -> None:
        """Predict with this run from now on (and again for the image already shown)."""
        self.run_dir = str(run_dir)
        self._show_run()
        if self.image is not None:
            self.predict_image(self.image, self.path)
        elif self.path:
            self.predict_file(self.path)

    def _show_run(self, newest: bool = False) -> None:
        """Name the run whose model answers, its dataset and classes, and a loaded dataset that is not its own."""
        if not self.run_dir:
            self.run_label.setText(NO_RUN)
            return
        identity = identify_run(self.run_dir, self.controller)
        text = run_caption(identity, "Answers from the model of run")
        if newest:
            text += " (the newest run in the workspace)"
        if identity.class_names:
            text += f"<br>It answers with one of its classes: {html.escape(', '.join(identity.class_names))}."
        other = other_dataset_note(self.controller, identity)
        self.run_label.setText(text + ("<br>" + note_html(other) if other else ""))

    def choose_image(self) -> None:
        """Ask for an image file and predict it."""
        path, _ = QFileDialog.getOpenFileName(self, "Try an image", "", IMAGE_FILTER)
        if path:
            self.predict_file(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.predict_file(files[0])

    def predict_file(self, path: str | Path) -> None:
        """Predict ``path`` on the worker; the result is drawn (and ``predicted`` emitted) when it is back."""
        self.path, self.image = str(path), None
        self._start_prediction()

    def predict_image(self, image: Any, name: str, run_dir: str = "") -> None:
        """Predict an in-memory (3, H, W) uint8 image called ``name`` (an Evaluate tile), with ``run_dir`` if given."""
        if run_dir and str(run_dir) != self.run_dir:
            self.run_dir = str(run_dir)
            self._show_run()
        self.path, self.image = str(name), image
        self._start_prediction()

    def _start_prediction(self) -> None:
        self.error_label.setText("")
        self.file_label.setText(f"{Path(self.path).name}: predicting...")
        in_background("cnnstudio-predict", self._predict, self.path, self.image, self.run_dir,
                      self.controller.runs_root, uses_torch=True)

    def _predict(self, path: str, image: Any, run_dir: str, runs_root: Any) -> None:
        fitted = None
        try:
            run_dir = run_dir or _latest_run(runs_root)
            if not run_dir:
                emit_safely(self._done, {"file": path, "error": NO_RUN}, None, "")
                return
            model = self.cache.get(run_dir, "best")
            with self._model_lock:
                if image is None:
                    [entry] = model.predict_files([path], policy=RESIZE_POLICY)
                else:
                    [entry] = model.predict_images([image], policy=RESIZE_POLICY)
                    entry["file"] = path
            if "error" not in entry:
                from cnnstudio.core.data.image_io import fit_image, read_image
                from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, gradcam_layer_names

                source = read_image(Path(path)) if image is None else image
                fitted = fit_image(source, model.input_size, RESIZE_POLICY).permute(1, 2, 0).numpy()
                entry["input_size"] = model.input_size
                entry["gradcam_layers"] = gradcam_layer_names(model.model)
                entry["gradcam_default"] = default_gradcam_layer(model.model)
        except CNNStudioError as error:
            entry = {"file": path, "error": str(error)}
        except Exception as error:  # a plugin head's bug: say it, keep the app alive
            log.error("predicting %s failed:\n%s", path, traceback.format_exc())
            entry = {"file": path, "error": f"{path}: prediction failed ({type(error).__name__}: {error})"}
        emit_safely(self._done, entry, fitted, run_dir)

    # ---- drawing ------------------------------------------------------------------
    def _show(self, entry: dict[str, Any], fitted: np.ndarray | None, run_dir: str) -> None:
        if entry.get("file") != self.path:
            return  # an older request
        self.entry = entry
        if run_dir and run_dir != self.run_dir:
            self.run_dir = run_dir
            self._show_run(newest=True)
        if "error" in entry:
            self.error_label.setText(entry["error"])
            self.file_label.setText(f"{Path(self.path).name}: not predicted.")
            self._clear_result()
        else:
            self._show_result(entry, fitted)
        self.predicted.emit(entry)

    def _clear_result(self) -> None:
        self.fitted = self.overlay = self.gradcam = None
        self.explain.set_options(head="", layers=[], default_layer="", class_names=[], predicted=-1)
        self.caption.setText("")
        self.image_label.setPixmap(QPixmap())
        self.image_label.setText("Drop an image file here\nor press Choose image...")
        self.overlay_label.setPixmap(QPixmap())
        self.overlay_title.setText("")
        self.decision_label.setText("")
        self.bars_box.show_probabilities({})

    def _show_result(self, entry: dict[str, Any], fitted: np.ndarray) -> None:
        size = entry.get("input_size", fitted.shape[0])
        self.file_label.setText(f"{Path(self.path).name}, shown at the model's input size {size}x{size} px.")
        self.image_label.setPixmap(_scaled(fitted))
        self.fitted = fitted
        head = "heat map" if "heatmap" in entry else "boxes" if "boxes" in entry else "box" if "box_input" in entry else ""
        self.explain.set_options(head, entry.get("gradcam_layers", []), entry.get("gradcam_default", ""),
                                 list(entry["probabilities"]), int(entry.get("index", -1)))
        self._draw_explanation()
        decision = f"<b>Decision: {entry['class']}</b> ({entry['confidence']:.1%} sure)"
        if "score" in entry:
            threshold = entry.get("threshold")
            relation = "" if threshold is None else (" &ge; " if entry["score"] >= threshold else " &lt; ")
            decision += f"<br>score {entry['score']:.3f}" + (f"{relation}threshold {threshold:.3f}" if threshold is not None else "")
        self.decision_label.setText(decision)
        self.bars_box.show_probabilities(entry["probabilities"])

    # ---- explanations -----------------------------------------------------------
    def _draw_explanation(self) -> None:
        """Show the chosen overlay: none, the head's own, or Grad-CAM (computed on the worker)."""
        entry, fitted, mode = self.entry, self.fitted, self.explain.mode()
        self.overlay = self.gradcam = None
        self._gradcam_key = ()
        self.caption.setText("")
        if entry is not None and "error" not in entry:
            self.error_label.setText("")  # an earlier Grad-CAM problem
        if entry is None or fitted is None or "error" in entry or mode == NONE:
            self.overlay_title.setText("")
            self.overlay_label.setPixmap(QPixmap())
        elif mode == HEAD and "heatmap" in entry:
            self.overlay = overlay_heatmap(fitted, np.asarray(entry["heatmap"]))
            self.overlay_title.setText("Heat map: where the model sees the defect")
            self.overlay_label.setPixmap(_scaled(self.overlay))
            self.caption.setText("The head's own heat map: red to yellow = where it found the defect.")
        elif mode == HEAD and "boxes" in entry:
            count = sum(1 for b in entry["boxes"] if b["score"] >= entry.get("threshold", 0.0))
            self.overlay_title.setText(f"Boxes: {count} at or above the threshold")
            self.overlay_label.setPixmap(pixmap_with_boxes(_scaled(fitted), fitted.shape[1], entry["boxes"],
                                                           entry.get("threshold"), key="box_input"))
            self.caption.setText("Solid red: boxes at or above the threshold, with their scores; dashed yellow: weaker ones.")
        elif mode == HEAD and "box_input" in entry:
            self.overlay_title.setText("Box: where the model places the logo")
            self.overlay_label.setPixmap(_with_box(fitted, entry["box_input"]))
        elif mode == GRADCAM:
            self.overlay_title.setText(f"Grad-CAM: what speaks for '{self.explain.target_name()}'")
            self.overlay_label.setPixmap(QPixmap())
            self.overlay_label.setText("computing Grad-CAM...")
            self._gradcam_key = (self.path, self.run_dir, self.explain.layer(), self.explain.target())
            in_background("cnnstudio-gradcam", self._compute_gradcam, self._gradcam_key, fitted, uses_torch=True)
            self.overlay_label.setVisible(True)
            return
        self.overlay_label.setVisible(self.overlay_title.text() != "")
        self.explained.emit()

    def _compute_gradcam(self, key: tuple, fitted: np.ndarray) -> None:
        _path, run_dir, layer, target = key
        heat, cells, error = None, (0, 0), ""
        try:
            model = self.cache.get(run_dir, "best")
            with self._model_lock:
                heat, cells = explain_with_gradcam(model, fitted, layer, target)
        except CNNStudioError as problem:
            error = str(problem)
        except Exception as problem:  # a damaged weights file or a plugin head's bug: say it, keep going
            log.error("Grad-CAM for %s failed:\n%s", run_dir, traceback.format_exc())
            error = f"{run_dir}: Grad-CAM failed ({type(problem).__name__}: {problem})"
        emit_safely(self._explained, key, heat, cells, error)

    def _show_gradcam(self, key: tuple, heat: np.ndarray | None, cells: tuple[int, int], error: str) -> None:
        if key != self._gradcam_key or self.fitted is None:
            return  # an older request, or the image is gone
        if error or heat is None:
            self.overlay_label.setText("no Grad-CAM")
            self.caption.setText("")
            self.error_label.setText(f"Grad-CAM could not be computed: {error}")
        else:
            self.gradcam = heat
            self.overlay = overlay_heatmap(self.fitted, heat)
            self.overlay_label.setPixmap(_scaled(self.overlay))
            self.caption.setText(gradcam_caption(self.explain.target_name(), key[2], cells, float(heat.max())))
        self.explained.emit()


def _scaled(image: np.ndarray) -> QPixmap:
    """Nearest-neighbour enlargement, so the pixels the model gets stay visible."""
    return QPixmap.fromImage(to_qimage(image)).scaled(
        VIEW_PX, VIEW_PX, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


def _with_box(image: np.ndarray, box: list[float]) -> QPixmap:
    """The fitted image with ``box`` (x0, y0, x1, y1 in model-input pixels) drawn on it."""
    pixmap = _scaled(image)
    scale = pixmap.width() / image.shape[1]
    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor(255, 40, 40), 3))
    x0, y0, x1, y1 = (float(v) * scale for v in box)
    painter.drawRect(QRectF(x0, y0, max(1.0, x1 - x0), max(1.0, y1 - y0)))
    painter.end()
    return pixmap


def _latest_run(runs_root: Any) -> str:
    """The newest run in the workspace with a checkpoint (best, or last), or "" when there is none."""
    from cnnstudio.core.runs.folder import default_runs_root, list_runs

    for run in reversed(list_runs(runs_root if runs_root is not None else default_runs_root())):
        if run.weights_path("best").exists() or run.weights_path("last").exists():
            return str(run.path)
    return ""
