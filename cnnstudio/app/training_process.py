"""A training run in a spawned child process, polled by the GUI (docs/architecture.md).

    process = TrainingProcess(config)      # threads: the config's, else every core (like the CLI)
    process.start()
    ...                                    # on a timer, never blocking:
    for event in process.poll():           # RunStarted, BatchEnded, ..., RunFinished | RunFailed
        view.show(event)
    process.request_stop()                 # cooperative: the trainer saves and finishes "cancelled"
    process.kill()                         # SIGKILL; poll() then reports one RunFailed

Stop is answered between layers by the trainer. A child that still has not
finished ``STOP_GRACE_S`` after ``request_stop()`` (one conv layer of a huge
model can take longer) is killed by ``poll()``, which then reports the run as
cancelled from what is on disk: the last checkpoint, written atomically, is
intact, and the epoch under way is left out.

The child (``cnnstudio.app.training_child``) re-creates the plugin manager and
calls ``cnnstudio.app.runner.train_run``; only the RunConfig (plain values) and
paths cross the process boundary, and the trainer's events come back pickled
over a one-way pipe. The parent closes its copy of the pipe's write end, so a
child that dies (even mid-message) shows up as end-of-file instead of a read
that waits forever. A ``StandbyProcess`` spawned ahead of time has already
imported torch when the run starts in it. This module imports neither torch
nor Qt: the GUI imports it at start-up.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cnnstudio.app.training_child import child_main
from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.events import Event, RunFailed, RunFinished, RunStarted
from cnnstudio.core.runs.folder import RunFolder, now_iso

log = logging.getLogger(__name__)
_TERMINAL = (RunFinished, RunFailed)
_END_OF_EVENTS = object()  # put in the inbox once the child's pipe is closed
STOP_GRACE_S = 2.0  # after request_stop(), how long the child may take to save and finish before poll() kills it


def default_threads() -> int:
    """Torch threads for a run that does not set them: every core this process may use.

    The same as the CLI (``core.device.resolve_threads(0)``): the GUI thread is idle while the child trains.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, cores)


class TrainingProcess:
    """One training run in a child process; ``poll()`` hands its events to the caller's thread."""

    def __init__(
        self,
        config: RunConfig,
        runs_root: Path | None = None,
        run_dir: Path | None = None,
        threads: int | None = None,
        resume: bool = False,
    ) -> None:
        self.config = config
        self.resume = resume  # continue ``run_dir`` from its last checkpoint instead of a new run
        self.runs_root = Path(runs_root) if runs_root is not None else None
        self._run_dir = str(run_dir) if run_dir is not None else ""
        # ``threads``, else the config's own setting; 0 stays in the run's config, so the run records
        # "automatic" exactly like a CLI run (compare shows no difference) and trains on every core.
        self._explicit_threads = threads if threads else max(0, config.threads)
        self.threads = self._explicit_threads or default_threads()
        self._stop: Any = None  # the child's stop Event, once started
        self._stop_wanted = False
        self._stop_asked: float | None = None  # monotonic time of the first request_stop()
        self._started = time.monotonic()
        self._killed_after_stop = False  # the child ignored Stop for STOP_GRACE_S and was killed
        self._process: multiprocessing.process.BaseProcess | None = None
        # Events are read on a thread of their own: a child frozen in the middle of a message
        # (stopped, swapped out) must never block the caller's thread, the GUI's, in recv().
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._eof = False
        self._final: Event | None = None  # the RunFinished / RunFailed delivered, real or synthetic
        self._pending: list[Event] = []  # drained by close() but not yet handed out

    # ---- control ----------------------------------------------------------------
    def start(self, standby: StandbyProcess | None = None) -> None:
        """Start the run in ``standby`` (torch already imported) or in a new child; returns at once.

        A new child needs a few seconds to import torch before RunStarted arrives.
        """
        if self._process is not None:
            raise RuntimeError("this TrainingProcess was already started; make a new one for another run")
        job = (self.config, self.runs_root, Path(self._run_dir) if self._run_dir else None, self._explicit_threads,
               self.resume)
        child = standby._take() if standby is not None else None
        if child is not None:
            try:
                child.commands.send(job)
            except OSError:  # the standby died meanwhile
                child.discard()
                child = None
        if child is None:
            child = _Child.spawn()
            child.commands.send(job)  # a few hundred bytes: the pipe buffers them until the child reads
        child.commands.close()
        self._process, self._stop = child.process, child.stop
        threading.Thread(target=self._read_events, args=(child.events,), name="cnnstudio-events",
                         daemon=True).start()
        self._started = time.monotonic()
        if self._stop_wanted:
            self._stop.set()

    def request_stop(self) -> None:
        """Ask the trainer to stop before its next layer; it saves "last" and finishes "cancelled".

        A child still running ``STOP_GRACE_S`` later is killed by ``poll()`` and reported cancelled.
        """
        self._stop_wanted = True
        if self._stop_asked is None:
            self._stop_asked = time.monotonic()
        if self._stop is not None:
            self._stop.set()

    def kill(self) -> None:
        """End the child at once (SIGKILL); the checkpoints already written stay on disk."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the run, wait up to ``timeout`` s for it to finish (then kill it) and reap the child.

        Events that arrive meanwhile are kept for the next ``poll()``.
        """
        if self._process is None:
            return
        self.request_stop()
        deadline = time.monotonic() + timeout
        while self._process.is_alive() and time.monotonic() < deadline:
            # Keep draining: a child whose events nobody reads could never exit.
            self._pending.extend(self._drain(1000))
            self._process.join(0.05)
        if self._process.is_alive():
            self._process.kill()
            self._killed_after_stop = True
        self._process.join(5)
        self._pending.extend(self._drain(100_000))
        if self._killed_after_stop and self._final is None and not any(isinstance(e, _TERMINAL) for e in self._pending):
            # Nobody may poll again (the window is closing): record the stop in the run folder now.
            self._pending.append(record_stopped_run(self._run_dir, time.monotonic() - self._started))

    def __enter__(self) -> TrainingProcess:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ---- state ------------------------------------------------------------------
    @property
    def is_alive(self) -> bool:
        """Whether the child is still running."""
        return self._process is not None and self._process.is_alive()

    @property
    def exitcode(self) -> int | None:
        """The child's exit code (negative: killed by that signal), None while it runs or before start."""
        return None if self._process is None else self._process.exitcode

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def run_dir(self) -> str:
        """The run folder: as given, or as announced by RunStarted; "" until then."""
        return self._run_dir

    @property
    def final_event(self) -> Event | None:
        """The RunFinished or RunFailed already handed out by ``poll()``, if any."""
        return self._final

    @property
    def finished(self) -> bool:
        """True once ``poll()`` has handed out the run's last event."""
        return self._final is not None

    # ---- events -----------------------------------------------------------------
    def poll(self, max_events: int = 1000) -> list[Event]:
        """The events that arrived since the last call, oldest first; never waits for new ones.

        After the child exits without a RunFinished or RunFailed (killed, crashed),
        one synthetic RunFailed ends the list, exactly once.
        """
        if self._process is None:
            return []
        events = self._pending[:max_events]
        del self._pending[:max_events]
        events.extend(self._drain(max_events - len(events)))
        for event in events:
            self._note(event)
        self._enforce_stop()
        if self._final is None and self._eof and not self._pending and not self._process.is_alive():
            if self._killed_after_stop:
                self._final = record_stopped_run(self._run_dir, time.monotonic() - self._started)
            else:
                self._final = RunFailed(self._run_dir, self._unexpected_exit_message(), "")
            events.append(self._final)
        return events

    def _enforce_stop(self) -> None:
        """Kill a child that has not finished STOP_GRACE_S after Stop (its last event not even sent)."""
        if (self._stop_asked is None or self._final is not None or self._process is None
                or time.monotonic() - self._stop_asked < STOP_GRACE_S or not self._process.is_alive()):
            return
        if any(isinstance(event, _TERMINAL) for event in self._pending):
            return
        self._process.kill()
        self._killed_after_stop = True

    def _read_events(self, reader: Connection) -> None:
        """Move every event from the pipe to the inbox; an end-of-file marker when the child is gone."""
        try:
            while True:
                try:
                    self._inbox.put(reader.recv())
                except (EOFError, OSError):  # every write end is closed: the child has exited
                    return
                except Exception:  # one event that does not unpickle: the stream itself is still whole
                    log.error("an event from the training process could not be read:\n%s", traceback.format_exc())
        finally:
            reader.close()
            self._inbox.put(_END_OF_EVENTS)

    def _drain(self, limit: int) -> list[Event]:
        events: list[Event] = []
        while not self._eof and len(events) < limit:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if item is _END_OF_EVENTS:
                self._eof = True
                break
            events.append(item)
        for event in events:
            if isinstance(event, RunStarted) and event.run_dir:
                self._run_dir = event.run_dir
        return events

    def _note(self, event: Event) -> None:
        if isinstance(event, _TERMINAL) and self._final is None:
            self._final = event
            if event.run_dir and not self._run_dir:
                self._run_dir = event.run_dir

    def _unexpected_exit_message(self) -> str:
        code = self.exitcode
        message = f"the training process stopped unexpectedly (exit code {code})"
        if not self._run_dir:
            return message + " before the run folder was created"
        last = Path(self._run_dir) / "weights" / "last.safetensors"
        if last.exists():
            return message + f"; the last checkpoint is kept in {self._run_dir}: Resume it from the Runs tab"
        return message + f"; it had not saved a checkpoint yet in {self._run_dir}: Start it again from the Runs tab"


def record_stopped_run(run_dir: str, seconds: float) -> RunFinished:
    """The RunFinished of a run whose child was killed after Stop, from its folder, and written there.

    When the child had already written its summary, that is the answer. Otherwise the
    run ends at its last recorded epoch: summary.json says "cancelled" with the best
    epoch's validation numbers, and run.json's status becomes "cancelled".
    """
    if not run_dir or not Path(run_dir).is_dir():
        return RunFinished(run_dir, "cancelled", 0, 0, {}, seconds)
    run = RunFolder(run_dir)
    try:
        if run.status in ("cancelled", "finished"):
            summary = run.read_summary()
            return RunFinished(run_dir, str(summary["reason"]), int(summary["epochs_run"]),
                               int(summary["best_epoch"]), dict(summary["metrics"]), float(summary["seconds"]))
    except (CNNStudioError, KeyError, TypeError, ValueError):
        pass  # no usable summary: make one from the metrics
    records = run.read_metrics()
    epochs_run = max((int(r.get("epoch", 0)) for r in records), default=0)
    best = [r for r in records if r.get("is_best")]
    best_epoch = int(best[-1].get("epoch", 0)) if best else 0
    metrics = {k: v for k, v in (best[-1].get("metrics") or {}).items() if k.startswith("val_")} if best else {}
    try:
        run.write_summary({"reason": "cancelled", "epochs_run": epochs_run, "best_epoch": best_epoch,
                           "metrics": metrics, "seconds": seconds, "finished": now_iso()})
        run.set_status("cancelled", best_epoch=best_epoch)
    except (CNNStudioError, OSError):
        pass  # the event still tells the window; the folder stays as the child left it
    return RunFinished(run_dir, "cancelled", epochs_run, best_epoch, metrics, seconds)


class _Child:
    """A spawned child and its pipes: events come back, one job (or None) goes in."""

    def __init__(self, process: Any, events: Connection, commands: Connection, stop: Any) -> None:
        self.process, self.events, self.commands, self.stop = process, events, commands, stop

    @classmethod
    def spawn(cls) -> _Child:
        context = multiprocessing.get_context("spawn")
        events_reader, events_writer = context.Pipe(duplex=False)
        commands_reader, commands_writer = context.Pipe(duplex=False)
        stop = context.Event()
        process = context.Process(
            target=child_main, args=(events_writer, commands_reader, stop), name="cnnstudio-training", daemon=True,
        )
        process.start()
        # The child holds its own copies now; without ours, its death reads as EOF.
        events_writer.close()
        commands_reader.close()
        return cls(process, events_reader, commands_writer, stop)

    def discard(self, timeout: float = 5.0) -> None:
        """Tell a waiting child to exit (kill it if it does not) and close the pipes."""
        try:
            self.commands.send(None)
        except OSError:
            pass
        self.commands.close()
        self.process.join(0.2)
        if self.process.is_alive():  # still importing torch: nothing to save, so do not wait
            self.process.kill()
            self.process.join(timeout)
        self.events.close()


class StandbyProcess:
    """A training child spawned ahead of time: it imports torch and loads the plugins, then waits for a run.

    ``TrainingProcess(config).start(standby)`` then skips the seconds of start-up.
    A standby serves one run; it loads the plugins as they are when it starts,
    so discard it (``close()``) after a plugin reload.
    """

    def __init__(self) -> None:
        self._child: _Child | None = _Child.spawn()

    @property
    def is_alive(self) -> bool:
        return self._child is not None and self._child.process.is_alive()

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.process.pid

    def close(self) -> None:
        """Let the waiting child exit (unless a run has taken it)."""
        child, self._child = self._child, None
        if child is not None:
            child.discard()

    def _take(self) -> _Child | None:
        child, self._child = self._child, None
        if child is not None and not child.process.is_alive():
            child.discard()
            return None
        return child
