"""Grad-CAM maps of an evaluation's images, computed on a worker thread in batches and cached per (run, split, layer).

    loader = GradCamLoader(RunModelCache(controller))
    loader.ready.connect(on_maps)     # (run_dir, split, layer, {position: (S, S) float map}, layer names, error)
    loader.request(run_dir, report, layer="", positions=[4, 9, 1])   # "" = the default (last conv) layer

``ready`` fires after every batch (the maps so far), so tiles fill in while
the rest is computed. A newer request makes an older one stop after its
current batch. The maps explain the class each image was *decided* as (the
report's ``predicted``): "why did the model call this a scratch?".
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from cnnstudio.gui.workers.background import emit_safely, in_background
from cnnstudio.gui.workers.background_cache import failure_message
from cnnstudio.gui.workers.run_model_cache import RunModelCache

if TYPE_CHECKING:
    from cnnstudio.host.manager import StudioPluginManager

BATCH = 32  # images per Grad-CAM pass: small enough that the first tiles appear quickly


class GradCamLoader(QObject):
    """Computes and caches Grad-CAM maps for chosen images of an EvaluationReport."""

    ready = Signal(str, str, str, object, object, str)  # run_dir, split, layer, maps dict, layer names, error

    def __init__(self, models: RunModelCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models = models
        # (run, split, layer) -> (the report the maps belong to, position -> map); a new report starts afresh.
        self._maps: dict[tuple[str, str, str], tuple[Any, dict[int, np.ndarray]]] = {}
        self._layers: dict[str, tuple[list[str], str]] = {}  # run_dir -> (names, default)
        self._generation = 0
        self._compute_lock = threading.Lock()  # one Grad-CAM at a time: it hooks the shared model

    def layers(self, run_dir: str) -> tuple[list[str], str] | None:
        """The run's Grad-CAM layer names and default layer, once its model has been loaded."""
        return self._layers.get(str(run_dir))

    def cached(self, run_dir: str, report: Any, layer: str) -> dict[int, np.ndarray]:
        """The maps already computed for this report and layer (position -> (S, S) float32)."""
        entry = self._maps.get((str(run_dir), report.split, layer))
        return dict(entry[1]) if entry is not None and entry[0] is report else {}

    def request(self, run_dir: str, report: Any, layer: str, positions: Sequence[int]) -> None:
        """Compute the maps of ``positions`` not yet cached on a worker; answer with ``ready`` (possibly in parts)."""
        self._generation += 1
        in_background("cnnstudio-gradcam", self._compute, str(run_dir), report, layer, list(positions),
                      self._generation, self.models.controller.manager, uses_torch=True)

    def _compute(self, run_dir: str, report: Any, layer: str, positions: list[int], generation: int,
                 manager: StudioPluginManager) -> None:
        names: list[str] = []
        try:
            model = self.models.get(run_dir, "best", manager)
            from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, gradcam_layer_names

            names = gradcam_layer_names(model.model)
            self._layers[run_dir] = (names, default_gradcam_layer(model.model))
            layer = layer or self._layers[run_dir][1]
            key = (run_dir, report.split, layer)
            entry = self._maps.get(key)
            if entry is None or entry[0] is not report:
                entry = self._maps[key] = (report, {})
            maps = entry[1]
            missing = [p for p in positions if p not in maps]
            for start in range(0, len(missing), BATCH):
                if generation != self._generation:
                    return  # a newer request (another cell, layer or run) took over
                chunk = missing[start:start + BATCH]
                maps.update(zip(chunk, self._grad_cam(model, report, layer, chunk)))
                emit_safely(self.ready, run_dir, report.split, layer, {p: maps[p] for p in positions if p in maps},
                            names, "")
            if not missing:
                emit_safely(self.ready, run_dir, report.split, layer, {p: maps[p] for p in positions}, names, "")
        except Exception as problem:  # a bad run or a plugin head's bug: say it, keep the window
            emit_safely(self.ready, run_dir, report.split, layer, {}, names,
                        failure_message(run_dir, "Grad-CAM failed", problem))

    def _grad_cam(self, model: Any, report: Any, layer: str, positions: list[int]) -> list[np.ndarray]:
        import torch

        from cnnstudio.core.evaluate.gradcam import grad_cam

        images = report.images[positions].float().div(255)  # (n, 3, S, S) in [0, 1]
        target = torch.tensor([report.predicted[p] for p in positions], dtype=torch.long)
        with self._compute_lock:
            cams = grad_cam(model.model, images.to(model.device), layer=layer, target=target)
        return list(cams.cpu().numpy().astype(np.float32))
