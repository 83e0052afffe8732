"""What keeps the app's worker threads from crashing it: torch threads set once, Qt objects freed on the GUI thread."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from PySide6.QtCore import QObject, Qt

from cnnstudio.gui.workers.background import in_background, running_workers, wait_for_background
from cnnstudio.gui.workers.gui_thread_gc import GuiThreadGarbageCollector, collect_due_garbage


class CycleHolder(QObject):
    """A QObject that only the cyclic collector can free (it refers to itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.myself = self


def test_a_torch_worker_finds_the_thread_count_set_before_it_runs() -> None:
    # A fresh process, as the app is: here in-process training in other tests' fixtures moves the count.
    code = (
        "import torch\n"
        "from cnnstudio.gui.workers.background import GUI_TORCH_THREADS, in_background, wait_for_background\n"
        "torch.set_num_threads(GUI_TORCH_THREADS + 1)\n"
        "seen = []\n"
        "in_background('probe', lambda: seen.append(torch.get_num_threads()), uses_torch=True)\n"
        "assert wait_for_background(30)\n"
        "print(seen, GUI_TORCH_THREADS)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen, expected = result.stdout.strip().rsplit(" ", 1)
    assert seen == f"[{expected}]"


def test_wait_for_background_waits_for_a_slow_worker_and_names_it() -> None:
    release = threading.Event()
    done: list[str] = []
    in_background("test-slow-worker", lambda: (release.wait(10), done.append("yes")))
    assert not wait_for_background(timeout=0.05)
    assert running_workers() == ["test-slow-worker"]
    release.set()
    assert wait_for_background(timeout=10)
    assert done == ["yes"] and running_workers() == []


def test_a_qt_object_in_a_cycle_is_freed_on_the_gui_thread_not_on_the_allocating_worker(qtbot) -> None:
    gc.enable()  # as in the app before the collector starts (the suite itself keeps collection off)
    collector = GuiThreadGarbageCollector()
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        holder = CycleHolder()
        holder.destroyed.connect(lambda: freed_on.append(threading.current_thread().name),
                                 Qt.ConnectionType.DirectConnection)
        del holder
        # A worker that keeps enough new container objects to trigger automatic collection many times over.
        kept: list = []
        in_background("test-allocating-worker", lambda: kept.extend([index] for index in range(50_000)))
        assert wait_for_background(timeout=30)
        assert freed_on == [], "the cycle was collected on the worker"
        qtbot.waitUntil(lambda: bool(freed_on), timeout=5_000)  # the collector's timer, on this thread
        assert freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
        restored = gc.isenabled()
        gc.disable()
    assert restored  # stop() hands collection back as it found it


def test_collect_due_garbage_leaves_young_counts_alone() -> None:
    gc.collect()
    assert collect_due_garbage((10**9, 10, 10)) == 0
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert collect_due_garbage((0, 10**9, 10**9)) >= 1


def test_the_collector_waits_while_a_worker_runs(qtbot) -> None:
    collector = GuiThreadGarbageCollector()
    collector.timer.stop()  # driven by hand here
    try:
        gc.collect()
        freed: list[bool] = []
        holder = CycleHolder()
        holder.destroyed.connect(lambda: freed.append(True), Qt.ConnectionType.DirectConnection)
        del holder
        kept = [[index] for index in range(2 * collector.threshold[0])]  # past the threshold, far below the cap
        release = threading.Event()
        in_background("test-busy-worker", release.wait, 10)
        assert collector.collect_due() == 0 and freed == []
        release.set()
        assert wait_for_background(timeout=10)
        assert collector.collect_due() > 0 and freed == [True]
        del kept
    finally:
        collector.stop()
