"""SummaryWorker: computes a config's layer summary and advice off the GUI thread.

``core.summary`` builds the layers with torch to count their parameters; the
first call imports torch (seconds), and a layer of 1024 filters allocates
megabytes of weights. So the work runs on a worker thread, on torch's ``meta``
device (shapes and counts without memory), and only the answer to the
newest request comes back to the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from cnnstudio.gui.background import in_background

log = logging.getLogger(__name__)


@dataclass
class SummaryResult:
    """A ModelSummary and the advice list, or an error message for people when the summary failed."""

    summary: Any = None
    advice: list[Any] = field(default_factory=list)
    error: str = ""


def compute_summary(config: Any, num_classes: int, num_train_images: int | None, head_build: Any = None) -> SummaryResult:
    """The summary and advice of a RunConfig (torch is imported here, on the calling thread).

    ``head_build`` (a HeadSpec's) makes the table end with that head's own layers.
    """
    import torch

    from cnnstudio.core.advice import advise
    from cnnstudio.core.summary import summarize

    with torch.device("meta"):  # thread-local: other threads keep making real tensors
        summary = summarize(config.model, num_classes, config.head.options, head_build=head_build)
        advice = advise(config, num_train_images=num_train_images, num_classes=num_classes, head_build=head_build)
    return SummaryResult(summary, advice)


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

    def request(self, config: Any, num_classes: int, num_train_images: int | None = None, head_build: Any = None) -> None:
        """Ask for a summary; requests made while one is computing replace each other."""
        self._latest += 1
        self.busy = True
        with self._lock:
            self._pending = (self._latest, config, num_classes, num_train_images, head_build)
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
            number, config, num_classes, num_train_images, head_build = job
            try:
                result = compute_summary(config, num_classes, num_train_images, head_build)
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
