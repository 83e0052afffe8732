"""The "Explain" row of the Try an image tab: which overlay to show, Grad-CAM's layer and class, a caption.

Widgets and words; ``explain_with_gradcam`` hands one letterboxed input to
``core.gradcam.grad_cam`` (called on the view's worker thread, never the GUI's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

NONE, GRADCAM, HEAD = "none", "gradcam", "head"

MODE_TIP = (
    "What to draw over the image.\n"
    "Grad-CAM: which parts of the image made the model's score for a class go up. It follows the gradient of "
    "that class's score back to one layer's feature maps, weights each map by how much it helped, and keeps "
    "the positive sum. Red to yellow = the parts that raised the score most; no colour = no evidence for it.\n"
    "The head's own heat map or box (defect, forgery and logo tasks) is what the model was trained to output; "
    "Grad-CAM works for any model, even one that was only taught the class names.")
LAYER_TIP = (
    "The layer whose feature maps Grad-CAM weighs. Deeper layers know more about the classes but have fewer, "
    "bigger cells: after each pooling one cell covers 2x2 pixels of the layer before, so the map of the last "
    "conv layer can be coarse blocks. Earlier layers are sharper but react to edges and colours rather than "
    "to the class. The last conv layer is the usual choice.")
TARGET_TIP = (
    "The class whose evidence is shown. By default the class the model decided. Pick another to ask "
    "\"why would it say X?\": the map shows what in the image speaks for X. An empty map means nothing in "
    "the image raised X's score.")
LIMITS = ("Grad-CAM shows where the evidence is, not why; it is coarse (one cell per pixel of the layer's "
          "map) and can only point at what the chosen layer can see.")


class ExplainControls(QWidget):
    """Overlay, layer and class choosers; ``changed`` after any choice a person makes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_box = QComboBox()
        self.mode_box.setToolTip(MODE_TIP)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip(LAYER_TIP)
        self.target_box = QComboBox()
        self.target_box.setToolTip(TARGET_TIP)
        for box in (self.mode_box, self.layer_box, self.target_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)  # a Grad-CAM caption is a sentence: it wraps rather than widen the window
        self.caption.setToolTip(LIMITS)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, widget, tip in (("Explain:", self.mode_box, MODE_TIP), ("layer:", self.layer_box, LAYER_TIP),
                                  ("for class:", self.target_box, TARGET_TIP)):
            label = QLabel(text)
            label.setToolTip(tip)
            layout.addWidget(label)
            layout.addWidget(widget)
        layout.addStretch(1)
        self._filling = False
        self._head = ""
        self._chosen = ""  # the mode a person picked; kept for the next images when it applies
        self.set_options(head="", layers=[], default_layer="", class_names=[], predicted=-1)
        self.mode_box.currentIndexChanged.connect(self._on_mode_chosen)
        self.layer_box.currentIndexChanged.connect(self._on_choice)
        self.target_box.currentIndexChanged.connect(self._on_choice)

    # ---- filling --------------------------------------------------------------
    def set_options(self, head: str, layers: list[str], default_layer: str, class_names: list[str],
                    predicted: int) -> None:
        """New choices for a new prediction; ``head`` is "heat map", "box", "boxes" or "" (the head draws nothing).

        The layer stays when the new model has it; the class goes back to the predicted one.
        """
        self._filling = True
        try:
            self._head = head
            modes = [("None", NONE), ("Grad-CAM", GRADCAM)] + ([(f"Head {head}", HEAD)] if head else [])
            self.mode_box.clear()
            for text, key in modes:
                self.mode_box.addItem(text, key)
            wanted = self._chosen if self._chosen in {key for _, key in modes} else (HEAD if head else NONE)
            self.mode_box.setCurrentIndex(self.mode_box.findData(wanted))
            previous = self.layer_box.currentText()
            self.layer_box.clear()
            self.layer_box.addItems(layers)
            self.layer_box.setCurrentText(previous if previous in layers else default_layer)
            self.target_box.clear()
            for index, name in enumerate(class_names):
                text = f"{name} (the decision)" if index == predicted else name
                self.target_box.addItem(text, index)
            self.target_box.setCurrentIndex(max(0, self.target_box.findData(predicted)))
        finally:
            self._filling = False
        self._enable()

    def _enable(self) -> None:
        gradcam = self.mode() == GRADCAM
        self.layer_box.setEnabled(gradcam and self.layer_box.count() > 0)
        self.target_box.setEnabled(gradcam and self.target_box.count() > 0)

    # ---- reading --------------------------------------------------------------
    def mode(self) -> str:
        """NONE, GRADCAM or HEAD."""
        return self.mode_box.currentData() or NONE

    def layer(self) -> str:
        return self.layer_box.currentText()

    def target(self) -> int:
        """The class index to explain (-1 before any prediction)."""
        data = self.target_box.currentData()
        return -1 if data is None else int(data)

    def target_name(self) -> str:
        return self.target_box.currentText().replace(" (the decision)", "")

    def choose(self, mode: str = "", layer: str = "", target: int | None = None) -> None:
        """Pick a mode, layer or class as a person would (emits ``changed``)."""
        if mode:
            self.mode_box.setCurrentIndex(self.mode_box.findData(mode))
        if layer:
            self.layer_box.setCurrentText(layer)
        if target is not None:
            self.target_box.setCurrentIndex(self.target_box.findData(target))

    def _on_mode_chosen(self, *_: Any) -> None:
        if not self._filling:
            self._chosen = self.mode()
        self._on_choice()

    def _on_choice(self, *_: Any) -> None:
        self._enable()
        if not self._filling:
            self.changed.emit()


def gradcam_caption(class_name: str, layer: str, cells: tuple[int, int], peak: float) -> str:
    """One line saying what the Grad-CAM overlay shows."""
    if peak <= 0:
        return (f"Grad-CAM of '{class_name}' at {layer}: nothing in this image raised this class's score "
                f"(an empty map).")
    return (f"Grad-CAM of '{class_name}' at {layer} ({cells[0]}x{cells[1]} cells): red to yellow = the parts "
            f"that raised this class's score.")


def explain_with_gradcam(model: Any, fitted: np.ndarray, layer: str, target: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Grad-CAM (S, S) in [0, 1] of class ``target`` at ``layer`` for a (S, S, 3) uint8 input of a TrainedModel,
    and the (h, w) cells of that layer's map (call on a worker thread)."""
    import torch

    from cnnstudio.core.evaluate.gradcam import grad_cam

    batch = torch.as_tensor(np.ascontiguousarray(fitted)).permute(2, 0, 1)[None].float().div(255)
    heat = grad_cam(model.model, batch.to(model.device), layer=layer or None, target=None if target < 0 else target)
    with torch.inference_mode():
        cells = tuple(model.model.feature_maps(batch.to(model.device), [layer])[layer].shape[-2:]) if layer else (0, 0)
    return heat[0].cpu().numpy(), cells
