"""The training child's side of ``cnnstudio.app.training_process``: warm up, take one job, train, report.

Runs in a spawned process. It imports torch and loads the plugins first (the
slow part of a start, so a standby child can do it ahead of time), then waits
for ``(config, runs_root, run_dir, threads, resume)`` or ``None`` on its command pipe
(``threads`` 0: the config's own setting, automatic when that is 0 too),
calls ``cnnstudio.app.runner.train_run`` (``resume_run`` to continue a run folder) and sends every event, pickled, on its
event pipe. Any error becomes a RunFailed event; the GUI never sees a bare
traceback or a silent exit.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from cnnstudio.core.events import Event, RunFailed, RunFinished, RunStarted

_TERMINAL = (RunFinished, RunFailed)


class _Sender:
    """Pickles events on the trainer's thread and writes them from a thread of their own.

    The trainer never waits for the GUI to read; if the GUI is gone (broken
    pipe) ``parent_gone`` turns true and the run stops itself.
    """

    def __init__(self, connection: Connection, run_dir: str) -> None:
        self.connection = connection
        self.run_dir = run_dir
        self.terminal_sent = False
        self.parent_gone = False
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="cnnstudio-event-sender", daemon=True)
        self._thread.start()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_dir = event.run_dir
        if isinstance(event, _TERMINAL):
            self.terminal_sent = True
        self._queue.put(bytes(ForkingPickler.dumps(event)))

    def _write(self) -> None:
        while (data := self._queue.get()) is not None:
            if self.parent_gone:
                continue
            try:
                self.connection.send_bytes(data)
            except OSError:  # the GUI closed its end or died
                self.parent_gone = True

    def close(self) -> None:
        """Send everything still queued, then close the pipe (the parent reads EOF)."""
        self._queue.put(None)
        self._thread.join()
        self.connection.close()


def child_main(connection: Connection, commands: Connection, stop: Any) -> None:
    """The child's entry point: warm up, wait for the job, train and report; any failure becomes RunFailed."""
    # Ctrl+C in the GUI's terminal reaches the whole process group; the GUI decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_up()
    try:
        job = commands.recv()
    except (EOFError, OSError):  # the parent closed the standby or died
        job = None
    commands.close()
    if job is None:
        connection.close()
        return
    config, runs_root, run_dir, threads, resume = job
    sender = _Sender(connection, str(run_dir) if run_dir else "")
    code = 0
    try:
        from cnnstudio.core.errors import CNNStudioError

        try:
            from cnnstudio.app.runner import resume_run, train_run

            stop_requested = lambda: stop.is_set() or sender.parent_gone  # noqa: E731
            if resume:
                resume_run(run_dir, observers=[sender], stop_requested=stop_requested)
            else:
                train_run(
                    replace(config, threads=threads) if threads else config, runs_root=runs_root, run_dir=run_dir,
                    observers=[sender], stop_requested=stop_requested,
                )
        except CNNStudioError as error:  # a message for people (bad dataset id, bad config, NaN loss)
            code = 1
            if not sender.terminal_sent:
                sender(RunFailed(sender.run_dir, str(error), traceback.format_exc()))
        except BaseException as error:  # noqa: BLE001 - a bug: report it with its traceback
            code = 1
            if not sender.terminal_sent:
                sender(RunFailed(
                    sender.run_dir, f"training stopped by an unexpected error: {type(error).__name__}: {error}",
                    traceback.format_exc(),
                ))
    finally:
        sender.close()
    sys.exit(code)


def _warm_up() -> None:
    """Import torch and the trainer and load the plugins before the job arrives (the slow part of a start)."""
    try:
        import torch  # noqa: F401

        import cnnstudio.app.runner  # noqa: F401
        from cnnstudio.host.manager import get_plugin_manager

        get_plugin_manager()
    except Exception:  # noqa: BLE001 - train_run meets the same error again and reports it
        pass
