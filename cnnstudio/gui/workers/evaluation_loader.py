"""Evaluations of runs, computed once per (run, split, weights) on a worker thread.

    loader = EvaluationLoader(controller)
    loader.ready.connect(on_ready)          # (run_dir, split, EvaluationReport or None, error)
    loader.request(run_dir, "val")          # answers from the cache at once, or after evaluating

The Evaluate and Threshold views share one loader (the main window's), so a
run is evaluated once for both. ``runner.evaluate_run`` loads the run's model
and regenerates or re-reads its dataset: seconds, never on the GUI thread. A
new threshold or new weights rewrite the weights files, so their time stamps
key the cache.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.workers.background import emit_safely, in_background

log = logging.getLogger(__name__)

# A report holds its images (a 10,000-image split at 64 px is ~120 MB): keep the newest few.
MAX_REPORTS = 4


class EvaluationLoader(QObject):
    """Evaluates a run's best weights (else its last) on its validation or test split, off the GUI thread."""

    ready = Signal(str, str, object, str)  # run_dir, split, EvaluationReport or None, error message
    started = Signal(str, str)  # run_dir, split: an evaluation began (show "Evaluating...")

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._reports: dict[tuple[str, str], tuple[float, Any]] = {}
        self._running: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def cached(self, run_dir: str, split: str) -> Any:
        """The report if the run's weights have not changed since it was made, else None."""
        entry = self._reports.get((str(run_dir), split))
        if entry is not None and entry[0] == _weights_stamp(run_dir):
            return entry[1]
        return None

    def forget(self, run_dir: str) -> None:
        """Drop a run's reports (after changing its threshold, for example)."""
        with self._lock:
            for key in [key for key in self._reports if key[0] == str(run_dir)]:
                del self._reports[key]

    def request(self, run_dir: str, split: str = "val") -> None:
        """Answer with ``ready`` for this run and split: from the cache (soon) or after evaluating on a worker."""
        run_dir = str(run_dir)
        report = self.cached(run_dir, split)
        if report is not None:
            QTimer.singleShot(0, lambda: self.ready.emit(run_dir, split, report, ""))
            return
        with self._lock:
            if (run_dir, split) in self._running:
                return  # the running evaluation will answer
            self._running.add((run_dir, split))
        self.started.emit(run_dir, split)
        in_background("cnnstudio-evaluate", self._evaluate, run_dir, split, self.controller.manager,
                      uses_torch=True)

    def _evaluate(self, run_dir: str, split: str, manager: Any) -> None:
        report, error = None, ""
        try:
            from cnnstudio.app.runner import evaluate_run

            stamp = _weights_stamp(run_dir)
            report = evaluate_run(Path(run_dir), split=split, manager=manager)
            with self._lock:
                self._reports.pop((run_dir, split), None)
                self._reports[(run_dir, split)] = (stamp, report)  # dicts keep insertion order: oldest first
                while len(self._reports) > MAX_REPORTS:
                    del self._reports[next(iter(self._reports))]
        except CNNStudioError as problem:
            error = str(problem)
        except Exception as problem:  # a plugin's bug or a damaged run: say it, keep the window
            log.error("evaluating %s failed:\n%s", run_dir, traceback.format_exc())
            error = f"{run_dir}: the run could not be evaluated ({type(problem).__name__}: {problem})"
        finally:
            with self._lock:
                self._running.discard((run_dir, split))
        emit_safely(self.ready, run_dir, split, report, error)


def _weights_stamp(run_dir: str) -> tuple[float, float]:
    """When the best and last weights were written (-1 when missing): a run stopped before its first best
    is evaluated on its last checkpoint, and a best one written later (a resumed run) must replace that."""
    stamps = []
    for which in ("best", "last"):
        try:
            stamps.append((Path(run_dir) / "weights" / f"{which}.safetensors").stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return stamps[0], stamps[1]
