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

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from cnnstudio.gui.workers.background import emit_safely
from cnnstudio.gui.workers.background_cache import BackgroundCache, weights_stamp

if TYPE_CHECKING:  # the controller imports this module; the report module imports torch
    from cnnstudio.core.evaluate.evaluation import EvaluationReport
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.host.manager import StudioPluginManager

# A report holds its images (a 10,000-image split at 64 px is ~120 MB): keep the newest few.
MAX_REPORTS = 4


class EvaluationLoader(QObject):
    """Evaluates a run's best weights (else its last) on its validation or test split, off the GUI thread."""

    ready = Signal(str, str, object, str)  # run_dir, split, EvaluationReport or None, error message
    started = Signal(str, str)  # run_dir, split: an evaluation began (show "Evaluating...")

    def __init__(self, controller: StudioController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._reports: BackgroundCache[EvaluationReport] = BackgroundCache(
            _evaluate, lambda key: weights_stamp(key[0], "best"), self._deliver, thread_name="cnnstudio-evaluate",
            failure="the run could not be evaluated", max_entries=MAX_REPORTS,
            on_start=lambda key: self.started.emit(*key))

    def cached(self, run_dir: str, split: str) -> EvaluationReport | None:
        """The report if the run's weights have not changed since it was made, else None."""
        return self._reports.cached((str(run_dir), split))

    def forget(self, run_dir: str) -> None:
        """Drop a run's reports (after changing its threshold, for example)."""
        self._reports.forget(run_dir)

    def request(self, run_dir: str, split: str = "val") -> None:
        """Answer with ``ready`` for this run and split: from the cache (soon) or after evaluating on a worker."""
        self._reports.request((str(run_dir), split), self.controller.manager)

    def _deliver(self, key: tuple[str, ...], report: EvaluationReport | None, error: str) -> None:
        emit_safely(self.ready, *key, report, error)


def _evaluate(key: tuple[str, ...], manager: StudioPluginManager) -> EvaluationReport:
    from cnnstudio.app.runner import evaluate_run

    run_dir, split = key
    return evaluate_run(Path(run_dir), split=split, manager=manager)
