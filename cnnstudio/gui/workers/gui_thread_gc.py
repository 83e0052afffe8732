"""Python's cyclic garbage collector, run on the GUI thread only.

    collector = GuiThreadGarbageCollector(app)   # turns automatic collection off until stop()

Automatic collection runs in whichever thread happens to allocate. When that
is a worker (an evaluation allocating tensors), a Qt object that sat in a
reference cycle (a view and its controller hold each other) is destroyed on
the worker, and Qt then crashes in the GUI thread's event loop: the
segmentation fault CI met. So the app switches automatic collection off and
collects from a timer on the GUI thread instead, with Python's own
thresholds (as calibre does for the same reason). Plain reference counting,
which frees nearly everything, is unaffected.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from cnnstudio.gui.workers.background import running_workers

CHECK_INTERVAL_MS = 500
# While an app worker runs, collection waits, unless this many times the usual backlog has built up.
BUSY_BACKLOG_FACTOR = 50


class GuiThreadGarbageCollector(QObject):
    """Collects garbage on the thread it lives in (the GUI thread), never on a worker."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int:
        """Collect the generations whose allocation counts passed Python's thresholds; the number of objects freed.

        Not while an app worker runs (unless garbage piles up): every crash
        reproduced in the test suite was a collection on the GUI thread while
        a worker was loading a model.
        """
        if running_workers() and gc.get_count()[0] <= self.threshold[0] * BUSY_BACKLOG_FACTOR:
            return 0
        return collect_due_garbage(self.threshold)

    def stop(self) -> None:
        """Hand collection back to Python (if it had it before)."""
        self.timer.stop()
        if self._was_enabled:
            gc.enable()


def collect_due_garbage(threshold: tuple[int, ...] | None = None) -> int:
    """What automatic collection would do now, done on the calling thread: generation 0, 1 or 2 as their counts say."""
    threshold = threshold or gc.get_threshold()
    young, middle, old = gc.get_count()
    if young <= threshold[0]:
        return 0
    generation = 0
    if middle > threshold[1]:
        generation = 2 if old > threshold[2] else 1
    return gc.collect(generation)
