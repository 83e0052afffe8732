"""What the Train tab's progress bar says about a live run: epoch, batch, speed and time left.

Plain Python fed with the trainer's events and a clock, so it is tested without
a window. It never shows a frozen "first batch...": while a batch (or the
validation) takes long, it says which one is under way and for how long.

    progress = TrainingProgress()
    progress.started(run_started); progress.batch(batch_ended); progress.epoch(epoch_ended)
    bar.setFormat(progress.text())        # on every event and once a second
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cnnstudio.gui.widgets.run_text import eta_text

QUIET_S = 2.0  # after this long without an event, say what is under way
# Training an image costs about this many forward passes (core.train_pace.TRAIN_FACTOR, not imported:
# it imports torch, which the window loads lazily); validating it costs one.
TRAIN_FACTOR = 4.0


class TrainingProgress:
    """Text and fraction done of a live run, from RunStarted, BatchEnded and EpochEnded events."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._reset()

    def _reset(self) -> None:
        clock = self.clock
        self.first_epoch, self.epochs = 1, 1
        self.num_train = self.num_val = self.num_batches = 0
        self.done = 0.0  # epochs done, fractional (epoch - 1 + batch / batches)
        self._epoch = 1  # the epoch under way
        self._batch = 0  # the last batch reported in the epoch under way (0: none yet)
        self._any_batch = False  # a batch of this run has been reported
        self._speed = ""
        self._eta: tuple[float, float] | None = None  # (seconds left, clock then)
        self._epoch_timed = False  # an epoch ended: its time is a better ETA than the batches'
        self._since = clock()  # when the last event came

    def started(self, event: Any) -> None:
        """A RunStarted: the epoch span and the batches per epoch."""
        self._reset()
        self.first_epoch, self.epochs, self._epoch = event.start_epoch, event.epochs, event.start_epoch
        self.num_train, self.num_val = event.num_train, event.num_val
        self.num_batches = int(getattr(event, "num_batches", 0) or 0)
        self.done = event.start_epoch - 1

    def batch(self, event: Any) -> None:
        """A BatchEnded."""
        self._since = self.clock()
        self._any_batch = True
        self._epoch, self._batch, self.num_batches = event.epoch, event.batch, event.num_batches
        self.done = event.epoch - 1 + event.batch / max(1, event.num_batches)
        self._speed = f"{event.images_per_s:,.0f} images/s"
        if not self._epoch_timed and event.images_per_s > 0:
            validation = self.num_val / TRAIN_FACTOR / event.images_per_s
            per_epoch = self.num_train / event.images_per_s + validation
            left_now = (1 - event.batch / max(1, event.num_batches)) * self.num_train / event.images_per_s
            self._eta = (left_now + validation + (self.epochs - event.epoch) * per_epoch, self._since)

    def epoch(self, event: Any) -> None:
        """An EpochEnded: its measured time gives the time left."""
        self._since = self.clock()
        self.epochs, self.done = event.epochs, float(event.epoch)
        self._epoch, self._batch = event.epoch + 1, 0
        self._speed = f"{event.images_per_s:,.0f} images/s"
        self._eta, self._epoch_timed = (event.eta_s, self._since), True

    @property
    def fraction(self) -> float:
        """How much of this session's epochs is done, 0..1."""
        total = max(1, self.epochs - self.first_epoch + 1)
        return min(1.0, max(0.0, (self.done - self.first_epoch + 1) / total))

    def text(self) -> str:
        """"epoch 2/10  ·  batch 7/12  ·  310 images/s  ·  about 1 min 05 s left", or what is under way."""
        now = self.clock()
        quiet = now - self._since
        of = f"/{self.num_batches}" if self.num_batches else ""
        epoch = min(self._epoch, self.epochs)
        parts = [f"epoch {epoch}/{self.epochs}"]
        if not self._any_batch:
            of_n = f": 1 of {self.num_batches}" if self.num_batches else ""
            parts.append(f"first batch{of_n}, started {quiet:.0f} s ago")
        elif quiet >= QUIET_S and self._batch and self._batch >= self.num_batches:
            parts.append(f"validating for {quiet:.0f} s")
        elif quiet >= QUIET_S:
            parts.append(f"batch {self._batch + 1}{of} under way for {quiet:.0f} s")
        elif self._batch:
            parts.append(f"batch {self._batch}{of}")
        if self._speed:
            parts.append(self._speed)
        if self._eta is not None:
            left, when = self._eta
            parts.append(eta_text(max(0.0, left - (now - when))))
        return "  ·  ".join(parts)
