"""SummaryWorker: computes a config's layer summary and advice off the GUI thread.

``core.summary`` builds the layers with torch, on its ``meta`` device (shapes
and counts without memory), to count their parameters; the first call imports
torch (seconds). So the work runs on a worker thread (advice included, also on
``meta``), and only the answer to the newest request comes back to the GUI thread. The same pass estimates the
training memory (``core.memory_budget``) from the config and the dataset's
figures, and turns a run that would not fit into an error in the advice.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from cnnstudio.gui.workers.background import in_background

if TYPE_CHECKING:
    from cnnstudio.core.config import RunConfig

log = logging.getLogger(__name__)


@dataclass
class SummaryResult:
    """A ModelSummary and the advice list, or an error message for people when the summary failed."""

    summary: Any = None
    advice: list[Any] = field(default_factory=list)
    error: str = ""
    memory: Any = None  # the MemoryEstimate of training, or None
    available: int | None = None  # bytes of memory available when it was estimated


@dataclass(frozen=True)
class DatasetFigures:
    """What the training memory depends on in the dataset: images (None: unknown), their loaded size,
    whether they carry masks, and what lowers them (for the message)."""

    images: int | None
    size: int | None
    masks: bool = False
    hint: str = "dataset.options.count or size"
    on_disk: bool = False  # the images load into a memory-mapped file (memory_budget.dataset_on_disk)


def compute_summary(
    config: RunConfig, num_classes: int, num_train_images: int | None, head_build: Any = None,
    dataset: DatasetFigures | None = None,
) -> SummaryResult:
    """The summary, advice and training memory of a RunConfig (torch is imported here, on the calling thread).

    ``head_build`` (a HeadSpec's) makes the table end with that head's own layers.
    """
    import torch

    from cnnstudio.core.model.summary import summarize
    from cnnstudio.core.train.advice import advise

    with torch.device("meta"):  # thread-local: other threads keep making real tensors
        summary = summarize(config.model, num_classes, config.head.options, head_build=head_build)
        advice = advise(config, num_train_images=num_train_images, num_classes=num_classes, head_build=head_build)
    memory, available = None, None
    try:
        memory, available, problem = training_memory(config, summary, dataset or DatasetFigures(None, None))
    except Exception:  # noqa: BLE001 - a figure that cannot be read: no memory line, the summary stays
        log.warning("training memory estimate failed:\n%s", traceback.format_exc())
    else:
        if problem is not None:
            advice = [problem, *advice] if problem.severity == "error" else [*advice, problem]
    return SummaryResult(summary, advice, memory=memory, available=available)


def training_memory(config: RunConfig, summary: Any, dataset: DatasetFigures) -> tuple[Any, int | None, Any]:
    """(MemoryEstimate, bytes available, a Problem when the run would not fit or nearly fill the memory)."""
    from cnnstudio.core.model.memory_budget import available_memory, check_memory, estimate_training_memory
    from cnnstudio.core.model.summary import Problem

    estimate = estimate_training_memory(
        config, dataset.images, dataset.size, summary=summary, masks=dataset.masks, dataset_hint=dataset.hint,
        on_disk=dataset.on_disk,
    )
    available = available_memory()
    verdict = check_memory(estimate, available)
    problem = None
    if verdict is not None:
        problem = Problem("memory", verdict.severity, verdict.field, f"Training memory: {verdict.message}.")
    return estimate, available, problem


class SummaryWorker(QObject):
    """``request(config, ...)`` -> later ``finished(SummaryResult)`` for the newest request only.

    A thread runs only while there is work: it takes the newest pending
    request, computes it, and exits when none is left, so nothing outlives the view.
    """

    finished = Signal(object)  # SummaryResult
    _done = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: tuple[Any, ...] | None = None
        self._running = False
        self._latest = 0
        self.busy = False
        self._done.connect(self._on_done)

    def request(
        self, config: RunConfig, num_classes: int, num_train_images: int | None = None, head_build: Any = None,
        dataset: DatasetFigures | None = None,
    ) -> None:
        """Ask for a summary; requests made while one is computing replace each other."""
        self._latest += 1
        self.busy = True
        with self._lock:
            self._pending = (self._latest, config, num_classes, num_train_images, head_build, dataset)
            if self._running:
                return
            self._running = True
        in_background("cnnstudio-summary", self._run, uses_torch=True)

    def _run(self) -> None:
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._running = False
                    return
            number, config, num_classes, num_train_images, head_build, dataset = job
            try:
                result = compute_summary(config, num_classes, num_train_images, head_build, dataset)
            except Exception as error:  # a bug in the core: say so in the window, keep it usable
                log.error("model summary failed:\n%s", traceback.format_exc())
                result = SummaryResult(error=f"The model summary could not be computed ({type(error).__name__}: {error}).")
            try:
                self._done.emit(number, result)
            except RuntimeError:
                pass  # the view was deleted meanwhile

    def _on_done(self, number: int, result: SummaryResult) -> None:
        if number == self._latest:
            self.busy = False
            self.finished.emit(result)
