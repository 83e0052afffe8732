"""Labels a run suggests for the Label tab's unlabelled images, made on a worker thread.

    worker = SuggestWorker(RunModelCache(controller))
    worker.progress.connect(on_progress)    # (done, total), a few times a second
    worker.finished.connect(on_finished)    # (run_dir, {image: ImageLabel}, error for people, "" when fine)
    worker.request(run_dir, label_set, label_set.unlabelled())
    worker.cancel()                         # stops after the current batch; finished brings what was made

The worker reads a copy of the label set's root, kind and classes taken on the
GUI thread, so the person may go on labelling meanwhile. A newer request
makes an older one stop after its current batch without answering. Nothing
Qt is made on the worker: it only emits (``emit_safely``), and the
suggestions are plain Python and numpy objects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.labels.label_set import ImageLabel, LabelSet
from cnnstudio.gui.workers.background import emit_safely, in_background
from cnnstudio.gui.workers.background_cache import failure_message
from cnnstudio.gui.workers.run_model_cache import RunModelCache

if TYPE_CHECKING:
    from cnnstudio.host.manager import StudioPluginManager

PROGRESS_EVERY_S = 0.1  # progress is emitted at most this often (and once at the end)


@dataclass
class _Job:
    """One request: its number and its stop flag."""

    number: int
    stop: threading.Event = field(default_factory=threading.Event)


class SuggestWorker(QObject):
    """Runs ``core.labels.suggest.suggest_labels`` for a run folder off the GUI thread; cancellable."""

    progress = Signal(int, int)  # done, total
    finished = Signal(str, object, str)  # run_dir, {image: ImageLabel} (those made so far when cancelled), error

    def __init__(self, models: RunModelCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models = models
        self._job: _Job | None = None
        self._count = 0
        self._running: set[int] = set()  # numbers of the jobs still on a worker
        self._lock = threading.Lock()

    def request(self, run_dir: str, labels: LabelSet, images: Sequence[str]) -> None:
        """Suggest labels for ``images`` of ``labels`` with the run's best weights (else its last); call on the GUI thread.

        An earlier request still running stops after its current batch and never answers.
        """
        if self._job is not None:
            self._job.stop.set()
        self._count += 1
        job = self._job = _Job(self._count)
        snapshot = LabelSet(labels.root, labels.kind, list(labels.classes), list(images),
                            label_kind=labels.label_kind)
        with self._lock:
            self._running.add(job.number)
        in_background("cnnstudio-suggest", self._suggest, str(run_dir), snapshot, list(images), job,
                      self.models.controller.manager, uses_torch=True)

    def cancel(self) -> None:
        """Stop the current request after its current batch; ``finished`` then brings the suggestions made so far."""
        if self._job is not None:
            self._job.stop.set()

    def is_running(self) -> bool:
        """Whether the latest request is still being worked on."""
        with self._lock:
            return self._job is not None and self._job.number in self._running

    def _suggest(self, run_dir: str, labels: LabelSet, images: list[str], job: _Job,
                 manager: StudioPluginManager) -> None:
        suggestions: dict[str, ImageLabel] = {}
        error = ""
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if job is self._job and (done == total or now - last >= PROGRESS_EVERY_S):
                last = now
                emit_safely(self.progress, done, total)

        try:
            from cnnstudio.core.labels.suggest import run_matches_labels, suggest_labels

            error = run_matches_labels(run_dir, labels) or ""
            if not error:
                model = self.models.get(run_dir, "best", manager)
                suggestions = suggest_labels(model, labels, images, progress, job.stop.is_set)
        except CNNStudioError as problem:  # a run that cannot be loaded, or one trained for another task
            error = str(problem)
        except Exception as problem:  # a plugin head's bug: say it, keep the window
            error = failure_message(run_dir, "suggesting labels failed", problem)
        finally:
            with self._lock:
                self._running.discard(job.number)
        if job is self._job:  # a newer request took over: it answers instead
            emit_safely(self.finished, run_dir, suggestions, error)
