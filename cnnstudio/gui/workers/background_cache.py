"""Values made from a run's files (its model, an evaluation), made once on a worker thread and kept while the files stay the same.

    cache = BackgroundCache(load, stamp, deliver, thread_name="cnnstudio-evaluate",
                            failure="the run could not be evaluated")
    cache.request((run_dir, "val"), manager)    # deliver(key, value, "") soon: from the cache, else after load
    cache.get((run_dir, "val"), manager)        # the value now, made on this (worker) thread if needed
    cache.forget(run_dir)                       # drop everything of a run

Keys are tuples whose first item is the run folder. ``stamp(key)`` says which
version of the run's files a value was made from (the weights' time stamps):
a value whose stamp no longer matches is made again. A key being made is
made once, however often it is asked for meanwhile.

``deliver(key, value, error)`` is called on a worker thread after a load
(emit a Qt signal there: ``emit_safely``) and on the GUI thread for a cached
value. Nothing here is a Qt object, so nothing here is created on, or
collected from, a worker (see ``gui_thread_gc``).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QTimer

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.workers.background import in_background

log = logging.getLogger(__name__)

Value = TypeVar("Value")
Key = tuple[str, ...]


class BackgroundCache(Generic[Value]):
    """``load(key, *args)`` once per key on a worker thread; the value is kept while ``stamp(key)`` is unchanged."""

    def __init__(
        self,
        load: Callable[..., Value],
        stamp: Callable[[Key], Hashable],
        deliver: Callable[[Key, Value | None, str], None],
        *,
        thread_name: str,
        failure: str,
        max_entries: int | None = None,
        on_start: Callable[[Key], None] | None = None,
        uses_torch: bool = True,
    ) -> None:
        """``failure`` names what went wrong in an error message ("the model could not be loaded");
        ``max_entries`` keeps only the newest values; ``on_start(key)`` runs on the GUI thread when a load begins;
        ``uses_torch`` as for ``in_background``."""
        self._load = load
        self._stamp = stamp
        self._deliver = deliver
        self._thread_name = thread_name
        self._failure = failure
        self._max_entries = max_entries
        self._on_start = on_start
        self._uses_torch = uses_torch
        self._values: dict[Key, tuple[Hashable, Value]] = {}  # oldest first: dicts keep insertion order
        self._loading: set[Key] = set()
        self._key_locks: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()

    def cached(self, key: Key) -> Value | None:
        """The value if the run's files have not changed since it was made, else None."""
        stamp = self._stamp(key)
        with self._lock:
            entry = self._values.get(key)
        return entry[1] if entry is not None and entry[0] == stamp else None

    def forget(self, run_dir: str) -> None:
        """Drop every value of ``run_dir`` (its files changed in a way the stamp does not see)."""
        with self._lock:
            for key in [key for key in self._values if key[0] == str(run_dir)]:
                del self._values[key]

    def get(self, key: Key, *args: Any) -> Value:
        """The value, made now on the calling thread if needed (a worker's: it may take seconds; raises what load raises).

        Callers asking for the same key at once wait for one load.
        """
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            value = self.cached(key)
            if value is None:
                stamp = self._stamp(key)  # before loading: files written meanwhile make the value stale
                value = self._load(key, *args)
                self._store(key, stamp, value)
            return value

    def request(self, key: Key, *args: Any) -> None:
        """Call ``deliver`` for ``key``: from the cache (soon, on the GUI thread) or after loading it on a worker.

        Call from the GUI thread. A request for a key already loading is answered by that load.
        """
        value = self.cached(key)
        if value is not None:
            QTimer.singleShot(0, lambda: self._deliver(key, value, ""))
            return
        with self._lock:
            if key in self._loading:
                return
            self._loading.add(key)
        if self._on_start is not None:
            self._on_start(key)
        in_background(self._thread_name, self._load_and_deliver, key, args, uses_torch=self._uses_torch)

    def _store(self, key: Key, stamp: Hashable, value: Value) -> None:
        with self._lock:
            self._values.pop(key, None)  # the newest goes last
            self._values[key] = (stamp, value)
            while self._max_entries is not None and len(self._values) > self._max_entries:
                del self._values[next(iter(self._values))]

    def _load_and_deliver(self, key: Key, args: tuple[Any, ...]) -> None:
        value, error = None, ""
        try:
            value = self.get(key, *args)
        except Exception as problem:
            error = failure_message(key[0], self._failure, problem)
        finally:
            with self._lock:
                self._loading.discard(key)
        self._deliver(key, value, error)


def failure_message(run_dir: str, failure: str, problem: Exception) -> str:
    """What went wrong, as one line for a view: a CNNStudioError's own words; anything else
    (a plugin's bug, a damaged run) is logged with its traceback and named. Call inside ``except``."""
    if isinstance(problem, CNNStudioError):
        return str(problem)
    log.error("%s: %s:\n%s", run_dir, failure, traceback.format_exc())
    return f"{run_dir}: {failure} ({type(problem).__name__}: {problem})"


def weights_stamp(run_dir: str, which: str) -> tuple[float, float]:
    """When the ``which`` weights and the other checkpoint were written (-1 when missing).

    A missing checkpoint falls back to the other (``RunFolder.checkpoint``: a run
    stopped before its first best is used with its last), and a new threshold,
    a resumed run or new weights rewrite them, so either changing means a new value.
    """
    stamps = []
    for name in (which, "last" if which == "best" else "best"):
        try:
            stamps.append((Path(run_dir) / "weights" / f"{name}.safetensors").stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return stamps[0], stamps[1]
