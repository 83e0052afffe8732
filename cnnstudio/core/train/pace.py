"""How fast a training run goes and how quickly it stops.

- ``LayerStops``: stop checks inside the model, before every layer's forward
  and after every parameter's gradient, so Stop does not wait for a whole
  batch (a batch of a big model takes a minute; one layer takes seconds).
- ``BatchPacer``: when the trainer reports a batch: the first one always,
  every N-th, the last, and any batch after ``seconds`` without a report.
- ``EpochForecast``: a warning when an epoch is estimated to take minutes,
  at the start from a timed forward pass (conservative), and again after the
  first batch when its measured time says much longer.

    with LayerStops(model, stop_requested) as stops:
        try:
            train_epoch()              # raises StopNow between layers once a stop is asked for
        except StopNow:
            ...                        # finish "cancelled" like a stop between batches
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from torch import nn

from cnnstudio.core.config import ModelConfig
from cnnstudio.core.model.summary import summarize

SLOW_EPOCH_S = 60.0  # an epoch estimated to take longer gets a warning at the start
# Training an image costs about this many forward passes (forward + backward): measured 2.6x at
# batch 8 and 5.4x at batch 32 for a 1,000-filter conv on this project's 2-core CPU. The first
# batch's measured time corrects the estimate when it is far off.
TRAIN_FACTOR = 4.0
REWARN_FACTOR = 1.5  # the first batch warns again when it measures this much longer than the last warning


class StopNow(Exception):
    """Raised inside the model when a stop is requested; the trainer ends the run as cancelled."""


class LayerStops:
    """Hooks on every leaf module and parameter of ``model`` that raise StopNow once ``stop_requested()``.

    ``armed`` turns the checks off where an interruption would leave the run
    half-recorded (the snapshot and checkpoints after an epoch).
    """

    def __init__(self, model: nn.Module, stop_requested: Callable[[], bool],
                 on_layer: Callable[[], None] | None = None) -> None:
        self.model = model
        self.stop_requested = stop_requested
        self.on_layer = on_layer  # also called at every layer (the first batch's slow-epoch watch)
        self.armed = True
        self._handles: list[Any] = []

    def check(self, *_: Any) -> None:
        """Raise StopNow when armed and a stop was requested (a forward-pre and gradient hook)."""
        if self.on_layer is not None:
            self.on_layer()
        if self.armed and self.stop_requested():
            raise StopNow("stop requested")

    def attach(self) -> LayerStops:
        """Register the hooks (``with LayerStops(...)`` does it too)."""
        for module in self.model.modules():
            if not any(True for _ in module.children()):
                self._handles.append(module.register_forward_pre_hook(self.check))
        for parameter in self.model.parameters():
            if parameter.requires_grad:
                self._handles.append(parameter.register_hook(self.check))
        return self

    def detach(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> LayerStops:
        return self.attach()

    def __exit__(self, *exc_info: Any) -> None:
        self.detach()


class FirstBatchWatch:
    """Called at every layer: warns from the first batch's elapsed time before that batch ends."""

    def __init__(self, forecast: EpochForecast, warn: Callable[[str, int], None]) -> None:
        self.forecast, self.warn = forecast, warn
        self.epoch, self.started = 0, 0.0
        self._next_look = 0.0

    def start(self, epoch: int) -> None:
        """An epoch (and so maybe the first batch) starts now."""
        self.epoch, self.started = epoch, time.perf_counter()
        self._next_look = self.started + 1.0

    def __call__(self) -> None:
        if self.started and not self.forecast.batch_timed and not self.forecast.warned_s:
            now = time.perf_counter()
            if now >= self._next_look:  # a clock read per layer; the forecast at most once a second
                self._next_look = now + 1.0
                self.warn(self.forecast.during_first_batch(now - self.started), self.epoch)


class BatchPacer:
    """Decides which batches become BatchEnded events: the first, every ``every``-th, the last,
    and any batch that ends ``seconds`` or more after the previous report (so slow runs still move)."""

    def __init__(self, every: int, seconds: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self.seconds, self.clock = max(1, every), seconds, clock
        self._last = clock()

    def restart(self) -> None:
        """Count the quiet time from now (an epoch starts)."""
        self._last = self.clock()

    def due(self, batch: int, num_batches: int) -> bool:
        """Whether batch ``batch`` of ``num_batches`` is reported."""
        now = self.clock()
        if batch in (1, num_batches) or batch % self.every == 0 or now - self._last >= self.seconds:
            self._last = now
            return True
        return False


class EpochForecast:
    """How long one epoch will take, in words once that is minutes; each method returns "" when quiet."""

    def __init__(self, model: ModelConfig, num_classes: int, num_train: int, num_val: int, num_batches: int) -> None:
        self.model, self.num_classes = model, num_classes
        self.num_train, self.num_val, self.num_batches = num_train, num_val, num_batches
        self.warned_s = 0.0  # the estimate last warned about
        self.batch_timed = False

    def from_forward(self, forward_s_per_image: float) -> str:
        """The warning from a timed forward pass (seconds per image), before any training."""
        return self._warn(forward_s_per_image * (TRAIN_FACTOR * self.num_train + self.num_val), "")

    def during_first_batch(self, seconds: float) -> str:
        """The warning while the first batch still runs: ``seconds`` so far, times the batches, is a lower bound.

        The forward-pass estimate can come out under a minute when the first backward pass is far
        slower (a loaded machine, oneDNN building kernels); this warns as soon as the bound says minutes.
        """
        if self.batch_timed or self.warned_s:
            return ""
        return self._warn(seconds * self.num_batches, f"at least: the first batch alone has run {seconds:.0f} s; ")

    def from_first_batch(self, seconds: float, images: int) -> str:
        """The warning from the first training batch: ``seconds`` for ``images`` images."""
        self.batch_timed = True
        validation = seconds / max(1, images) / TRAIN_FACTOR * self.num_val
        return self._warn(seconds * self.num_batches + validation, "measured on the first batch; ")

    def _warn(self, seconds: float, how: str) -> str:
        if seconds < SLOW_EPOCH_S or (self.warned_s and seconds < REWARN_FACTOR * self.warned_s):
            return ""
        self.warned_s = seconds
        summary = summarize(self.model, self.num_classes)
        size = f"{summary.input_size}x{summary.input_size}"
        cause = f"{_gflops(summary.total_flops)} GFLOPs per {size} image"
        filters = {f"conv{i}": layer.out_channels for i, layer in enumerate(self.model.conv_layers, start=1)}
        convs = [row for row in summary.rows if row.name in filters]
        if convs:
            heaviest = max(convs, key=lambda row: row.flops)
            cause = f"{filters[heaviest.name]:,} filters in {heaviest.name}: {cause}"
        return (
            f"One epoch will take about {duration_text(seconds)} ({how}{cause}). "
            f"Reduce the filters or the input size for quicker feedback."
        )


def duration_text(seconds: float) -> str:
    """"45 s", "4 min", "1 h 20 min"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _gflops(flops: int) -> str:
    value = flops / 1e9
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2f}"
