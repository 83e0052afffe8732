"""Trained models of runs, loaded once per run on a worker thread, for the Filters and Try views.

    cache = RunModelCache(controller)
    cache.ready.connect(on_ready)            # (run_dir, which, TrainedModel or None, error)
    cache.request(run_dir, "last")           # loads on the worker, or answers at once from the cache
    maps = layer_activations(model, images, "conv2")   # (n, c, h, w) numpy, fast enough for the GUI thread

torch is imported only on the worker (or once a model exists), never while
the window starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from cnnstudio.gui.workers.background import emit_safely
from cnnstudio.gui.workers.background_cache import BackgroundCache, weights_stamp

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.host.manager import StudioPluginManager


class RunModelCache(QObject):
    """Loads ``runner.load_run_model`` per (run folder, weights) once; reloads when the weights file changes."""

    ready = Signal(str, str, object, str)  # run_dir, which, TrainedModel or None, error message

    def __init__(self, controller: StudioController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._models: BackgroundCache[Any] = BackgroundCache(
            self._load, lambda key: weights_stamp(*key), self._deliver, thread_name="cnnstudio-run-model",
            failure="the model could not be loaded")

    def cached(self, run_dir: str, which: str) -> Any:
        """The loaded model if its weights have not changed since, else None."""
        return self._models.cached((str(run_dir), which))

    def request(self, run_dir: str, which: str = "best") -> None:
        """Answer with ``ready`` for this run's model: from the cache (soon) or after loading it on the worker."""
        self._models.request((str(run_dir), which), self.controller.manager)

    def get(self, run_dir: str, which: str = "best", manager: StudioPluginManager | None = None) -> Any:
        """The run's TrainedModel, loading it now if needed (call from a worker thread; raises CNNStudioError)."""
        return self._models.get((str(run_dir), which), manager)

    def _load(self, key: tuple[str, ...], manager: StudioPluginManager | None) -> Any:
        from cnnstudio.app.runner import load_run_model

        run_dir, which = key
        return load_run_model(Path(run_dir), which, manager or self.controller.manager)

    def _deliver(self, key: tuple[str, ...], model: Any, error: str) -> None:
        emit_safely(self.ready, *key, model, error)


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
