"""One app job at a time in a child process, answered by Qt signals on the GUI thread.

    runner = JobRunner("export", parent=dialog)
    runner.finished.connect(dialog.show_result)     # the job's typed result (an ExportResult...)
    runner.failed.connect(dialog.show_error)        # one line for people
    runner.start(export_job, run_dir, "onnx", out=path)
    runner.cancel()                                 # kills the child; neither signal follows

The child is a ``cnnstudio.app.job_process.JobProcess``, polled from a QTimer
so the window never waits. A bug in the job reaches the person as one line;
its traceback goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.app.job_process import JobProcess

log = logging.getLogger(__name__)
POLL_MS = 100


class JobRunner(QObject):
    """Runs app jobs in a child process, one at a time; ``finished(result)`` or ``failed(message)`` answers each."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, title: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title  # "export", "report": names the child process and its messages
        self.job: JobProcess | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Start ``job(*args, **kwargs)`` (a module-level function; plain arguments) in a new child."""
        if self.running:
            raise RuntimeError(f"a {self.title} is already running")
        self.job = JobProcess(self.title, job, *args, **kwargs)
        self.job.start()
        self._timer.start()

    def cancel(self) -> None:
        """Kill the running child, if any; no signal follows."""
        job, self.job = self.job, None
        self._timer.stop()
        if job is not None:
            job.kill()
            job.close()

    def _poll(self) -> None:
        if self.job is None:
            self._timer.stop()
            return
        outcome = self.job.poll()
        if outcome is None:
            return
        job, self.job = self.job, None
        self._timer.stop()
        job.close(timeout=0)  # reaps a child that has already exited; never waits on the GUI thread
        if outcome.traceback:
            log.error("the %s failed: %s\n%s", self.title, outcome.error, outcome.traceback)
        if outcome.ok:
            self.finished.emit(outcome.result)
        else:
            self.failed.emit(outcome.error)
