"""The images of the dataset a run was trained on, for the Filters tab's feature maps.

    images = RunImages(controller)
    images.changed.connect(redraw)      # loaded, failed, or the loaded dataset changed
    images.use_run(run_dir)             # the loaded dataset's images when it is the run's, else its own on a worker
    images.imageset()                   # that ImageSet, or None (``status`` says why)

A run's model must only ever see images of its own dataset: feeding logo
images to a bottles model shows meaningless feature maps. When the dataset
loaded in the panel is the run's (same id and options) its images are used;
otherwise the run's dataset is loaded from its config on a worker thread.
"""

from __future__ import annotations

import logging
import traceback
import weakref
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.widgets.run_identity import RunIdentity, identify_run, same_dataset
from cnnstudio.gui.workers.background import emit_safely, in_background

if TYPE_CHECKING:
    from cnnstudio.core.data.imageset import ImageSet
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.host.manager import StudioPluginManager

log = logging.getLogger(__name__)


class RunImages(QObject):
    """The ImageSet of the current run's own dataset (or of the loaded dataset when no run is shown)."""

    changed = Signal()
    _loaded = Signal(str, object, str)  # run_dir, ImageSet or None, error message

    def __init__(self, controller: StudioController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = ""
        self.identity: RunIdentity | None = None
        self.own: ImageSet | None = None  # the run's dataset, loaded for it when the panel has another one
        self.status = ""  # "" when images are available, else what is happening or why there are none
        self._loaded.connect(self._on_loaded)
        controller.dataset_loaded.connect(lambda *_: self._on_dataset_changed())

    @property
    def title(self) -> str:
        """The title of the dataset the images come from."""
        if self.identity is not None:
            return self.identity.dataset_title
        spec = self.controller.spec
        return str(spec.title or spec.id) if spec is not None else ""

    def uses_loaded(self) -> bool:
        """Whether the images are the loaded dataset's (no run, or the run's own dataset is the loaded one)."""
        return self.identity is None or same_dataset(self.controller, self.identity)

    def imageset(self) -> ImageSet | None:
        """The run's dataset images (None while loading or when they cannot be loaded)."""
        if self.uses_loaded():
            return self.controller.imageset
        return self.own

    def use_run(self, run_dir: str) -> None:
        """Follow ``run_dir`` ("" for none): its own dataset's images from now on."""
        run_dir = str(run_dir or "")
        if run_dir == self.run_dir and (self.own is not None or self.status.startswith("Loading")):
            return
        self.run_dir, self.own, self.status = run_dir, None, ""
        self.identity = identify_run(run_dir, self.controller) if run_dir else None
        self._load_if_needed()
        self.changed.emit()

    def _on_dataset_changed(self) -> None:
        if self.identity is not None and not self.uses_loaded() and self.own is None and not self.status:
            self._load_if_needed()
        self.changed.emit()

    def _load_if_needed(self) -> None:
        if self.uses_loaded() or self.identity is None:
            return
        if not self.identity.dataset_id:
            self.status = (f"Run {self.identity.name} does not say which dataset it was trained on "
                           f"(run.json is missing).")
            return
        self.status = f"Loading {self.identity.dataset_title}, the dataset {self.identity.name} was trained on..."
        # The worker holds only a weak reference: a Qt object must never be freed on a worker thread.
        in_background("cnnstudio-run-images", _load, weakref.ref(self), self.run_dir, self.identity.dataset_id,
                      dict(self.identity.dataset_options), self.controller.manager, uses_torch=True)

    def _on_loaded(self, run_dir: str, imageset: ImageSet | None, error: str) -> None:
        if run_dir != self.run_dir or self.identity is None:
            return  # an older run's dataset
        self.own = imageset
        loaded = self.controller.spec
        other = f" The loaded dataset, {loaded.title or loaded.id}, is not this run's, so its images are not used." \
            if loaded is not None else ""
        self.status = "" if imageset is not None else (
            f"No dataset images for {self.identity.name}: its dataset {self.identity.dataset_title} "
            f"could not be loaded ({error}).{other}")
        self.changed.emit()


def _load(owner: weakref.ref, run_dir: str, dataset_id: str, options: dict[str, Any], manager: StudioPluginManager) -> None:
    """On the worker: load the dataset and hand it to ``owner`` if it still exists."""
    try:
        spec = manager.dataset(dataset_id)
        imageset, error = spec.load(spec.resolve_options(options)), ""
    except CNNStudioError as problem:
        imageset, error = None, str(problem)
    except Exception as problem:  # a plugin's bug: say it, keep the window
        log.error("loading the dataset of %s failed:\n%s", run_dir, traceback.format_exc())
        imageset, error = None, f"{dataset_id}: the dataset could not be loaded ({type(problem).__name__}: {problem})"
    images = owner()
    if images is not None:
        emit_safely(images._loaded, run_dir, imageset, error)
