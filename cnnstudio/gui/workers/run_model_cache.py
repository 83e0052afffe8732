"""Trained models of runs, loaded once per run on a worker thread, for the Filters and Try views.

    cache = RunModelCache(controller)
    cache.ready.connect(on_ready)            # (run_dir, which, TrainedModel or None, error)
    cache.request(run_dir, "last")           # loads on the worker, or answers at once from the cache
    maps = layer_activations(model, images, "conv2")   # (n, c, h, w) numpy, fast enough for the GUI thread

torch is imported only on the worker (or once a model exists), never while
the window starts.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.workers.background import emit_safely, in_background

log = logging.getLogger(__name__)


class RunModelCache(QObject):
    """Loads ``runner.load_run_model`` per (run folder, weights) once; reloads when the weights file changes."""

    ready = Signal(str, str, object, str)  # run_dir, which, TrainedModel or None, error message

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._models: dict[tuple[str, str], tuple[tuple[float, float], Any]] = {}
        self._lock = threading.Lock()

    def cached(self, run_dir: str, which: str) -> Any:
        """The loaded model if its weights have not changed since, else None."""
        key = (str(run_dir), which)
        entry = self._models.get(key)
        if entry is not None and entry[0] == _weights_mtime(run_dir, which):
            return entry[1]
        return None

    def request(self, run_dir: str, which: str = "best") -> None:
        """Answer with ``ready`` for this run's model: from the cache (soon) or after loading it on the worker."""
        run_dir = str(run_dir)
        model = self.cached(run_dir, which)
        if model is not None:
            QTimer.singleShot(0, lambda: self.ready.emit(run_dir, which, model, ""))
            return
        manager = self.controller.manager
        in_background("cnnstudio-run-model", self._load, run_dir, which, manager, uses_torch=True)

    def get(self, run_dir: str, which: str = "best", manager: Any = None) -> Any:
        """The run's TrainedModel, loading it now if needed (call from a worker thread; raises CNNStudioError)."""
        run_dir = str(run_dir)
        with self._lock:
            model = self.cached(run_dir, which)
            if model is None:
                from cnnstudio.app.runner import load_run_model

                stamp = _weights_mtime(run_dir, which)
                model = load_run_model(Path(run_dir), which, manager or self.controller.manager)
                self._models[(run_dir, which)] = (stamp, model)
            return model

    def _load(self, run_dir: str, which: str, manager: Any) -> None:
        try:
            model, error = self.get(run_dir, which, manager), ""
        except CNNStudioError as problem:
            model, error = None, str(problem)
        except Exception as problem:  # a plugin head's bug or a damaged file: say it, keep going
            log.error("loading the model of %s failed:\n%s", run_dir, traceback.format_exc())
            model, error = None, f"{run_dir}: the model could not be loaded ({type(problem).__name__}: {problem})"
        emit_safely(self.ready, run_dir, which, model, error)


def _weights_mtime(run_dir: str, which: str) -> tuple[float, float]:
    """When ``which`` and the other checkpoint were written (-1 when missing): a missing one falls back
    to the other (``RunFolder.checkpoint``), so either changing means another model."""
    stamps = []
    for name in (which, "last" if which == "best" else "best"):
        try:
            stamps.append((Path(run_dir) / "weights" / f"{name}.safetensors").stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return stamps[0], stamps[1]


def model_filters(model: Any) -> dict[str, np.ndarray]:
    """Conv layer name -> (out, in, k, k) float32 weights of a TrainedModel, like Snapshot.filters."""
    return {name: conv.weight.detach().float().cpu().numpy().copy() for name, conv in model.model.conv_layers()}


def layer_activations(model: Any, images: Any, layer: str) -> np.ndarray:
    """(n, c, h, w) activations of conv ``layer`` for (n, 3, H, W) uint8 images, as Snapshot.feature_maps has them.

    Images are resized to the model's input size; the map is taken after the
    layer's batch-norm and activation (what the next layer sees), before pooling.
    """
    import torch

    from cnnstudio.core.data.splits import resize_images

    batch = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    batch = resize_images(batch, model.input_size)[0].to(model.device).float().div_(255)
    after = layer.replace("conv", "act", 1)
    names = {name for name, _ in model.model.backbone.named_children()}
    wanted = after if after in names else layer
    with torch.inference_mode():  # on the app's own torch threads (background.GUI_TORCH_THREADS)
        maps = model.model.feature_maps(batch, [wanted])[wanted]
    return maps.float().cpu().numpy()
