"""Worker threads of the app's own process, and the one torch setting they share.

    in_background("cnnstudio-evaluate", evaluate, run_dir, uses_torch=True)
    emit_safely(self.ready, run_dir, report)        # from the worker; a closed view is not an error
    wait_for_background(timeout=60)                 # tests: let no worker outlive its test

``torch.set_num_threads`` is process-wide, and calling it while another thread
runs an operator is not safe: it clears oneDNN's cache of compiled kernels and
resizes the thread pool under the running one (CI crashed with a segmentation
fault that way). So the app never changes it per call: the first worker that
uses torch sets it once, under a lock every torch worker passes before
touching torch, and nothing changes it afterwards.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# The app's process gets half the cores (one on a 2-core machine): a training
# child process may own the rest, and several intra-op threads on a busy
# 2-core machine wait on each other for 100s of ms.
GUI_TORCH_THREADS = max(1, (os.cpu_count() or 2) // 2)

_torch_ready = threading.Event()
_torch_lock = threading.Lock()
_workers: set[threading.Thread] = set()
_workers_lock = threading.Lock()


def in_background(name: str, function: Callable[..., None], *args: Any, uses_torch: bool = False) -> threading.Thread:
    """Run ``function(*args)`` on a daemon thread (it never keeps the app from ending).

    ``uses_torch=True`` for any worker that may run a torch operator: it first
    makes sure torch's thread count is set (see the module docstring).
    """
    thread = threading.Thread(target=_run, args=(function, args, uses_torch), name=name, daemon=True)
    with _workers_lock:
        _workers.add(thread)
    thread.start()
    return thread


def prepare_torch() -> None:
    """Import torch and set the app process's intra-op threads, once; later calls return at once.

    Call from a worker before its first torch operator (``in_background(..., uses_torch=True)`` does).
    """
    if _torch_ready.is_set():
        return
    with _torch_lock:
        if _torch_ready.is_set():
            return
        import torch

        if torch.get_num_threads() != GUI_TORCH_THREADS:
            torch.set_num_threads(GUI_TORCH_THREADS)
        _torch_ready.set()


def wait_for_background(timeout: float) -> bool:
    """Wait for every worker started by ``in_background``; True when none is left running."""
    deadline = time.monotonic() + timeout
    with _workers_lock:
        running = list(_workers)
    for thread in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _workers_lock:
        return not any(thread.is_alive() for thread in _workers)


def running_workers() -> list[str]:
    """Names of the workers still running (for a test's failure message)."""
    with _workers_lock:
        return sorted(thread.name for thread in _workers if thread.is_alive())


def emit_safely(signal: Any, *args: Any) -> None:
    """Emit from a worker thread; a view closed meanwhile is not an error."""
    try:
        signal.emit(*args)
    except RuntimeError:  # the receiving QObject was deleted
        pass


def _run(function: Callable[..., None], args: tuple[Any, ...], uses_torch: bool) -> None:
    try:
        if uses_torch:
            try:
                prepare_torch()
            except Exception:  # torch will fail the same way inside ``function``, which reports it
                log.error("preparing torch failed:\n%s", traceback.format_exc())
        function(*args)
    finally:
        with _workers_lock:
            _workers.discard(threading.current_thread())
