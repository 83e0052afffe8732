"""One training epoch: every batch of the training split, in the epoch's seeded order.

Randomness is drawn from streams seeded by ``(seed, epoch)`` (``loop_state.stream_seed``):
dropout, the batch order and augmentation, so a resumed run draws what an
uninterrupted one would, and every process of a data-parallel run draws the same.

The loss and hit counts add up on the device (``EpochMeter``) and are read on
the host only when a batch is reported: on a GPU the loop never waits for it
between reports. On the CPU a non-finite loss is caught at its batch; on a GPU
at the next report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.sampling import epoch_order
from cnnstudio.core.errors import TrainingError
from cnnstudio.core.events import BatchEnded, Event
from cnnstudio.core.model.batch_dropout import set_batch_share
from cnnstudio.core.model.heads import decided_labels
from cnnstudio.core.runs.loop_state import learning_rate, stream_seed, suggested_lr
from cnnstudio.core.train.fit_session import FitSession
from cnnstudio.core.train.pace import StopNow


class EpochTotals(NamedTuple):
    """What one epoch's training batches add up to (over every process)."""

    seen: int
    correct: int
    loss_sum: float
    train_seconds: float


class EpochMeter:
    """The epoch's loss sum and hits, kept on the device until read."""

    def __init__(self, device: torch.device) -> None:
        wide = torch.float32 if device.type == "mps" else torch.float64
        self.loss_sum = torch.zeros((), dtype=wide, device=device)
        self.hits = torch.zeros((), dtype=torch.int64, device=device)
        self.seen = 0

    def add(self, loss: torch.Tensor, hits: torch.Tensor, n: int) -> None:
        self.loss_sum += loss.detach().to(self.loss_sum.dtype) * n
        self.hits += hits
        self.seen += n


def train_epoch(
    s: FitSession, config: RunConfig, epoch: int, epoch_start: float, stop_requested: Callable[[], bool],
    emit: Callable[[Event], None], warn_slow: Callable[[str, int], None],
) -> EpochTotals:
    """One pass over the training images in this epoch's seeded order; raises StopNow when stopped."""
    cfg, t, loop, head, world = config, config.training, s.loop, s.model.head, s.world
    s.watch.start(epoch)
    for group in s.optimizer.param_groups:
        group["lr"] = learning_rate(t.lr, t.lr_schedule, epoch, t.epochs)
    torch.manual_seed(stream_seed(cfg.seed, epoch, 0))  # dropout
    order = epoch_order(len(s.data.train), s.sample_weights,
                        torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 1)))
    augment_rng = torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 2))
    s.trained.train()
    meter = EpochMeter(s.device)
    s.stops.armed = True
    s.pacer.restart()
    batches = len(s.batch_starts)
    on_cpu = s.device.type == "cpu"
    for batch_number, start in enumerate(s.batch_starts, start=1):
        if _stop_agreed(s, stop_requested, batch_number):
            raise StopNow("stop requested")
        batch, targets, share = s.batches.batch(order[start : start + t.batch_size], augment_rng)
        set_batch_share(s.model, share.total, share.first)
        with torch.autocast(s.device.type, dtype=s.autocast_dtype, enabled=s.autocast_dtype is not None):
            outputs = s.trained(batch)
            loss = head.loss(outputs, targets)
        if on_cpu:
            _require_finite(loss, t.lr, epoch, batch_number)
        s.optimizer.zero_grad(set_to_none=True)
        # DistributedDataParallel averages the processes' gradients; weighting each share's mean loss by its
        # size makes that average the global batch's mean when the shares differ by an image.
        scale = share.count * world.size / share.total
        s.scaler.scale(loss * scale if scale != 1 else loss).backward()
        s.scaler.step(s.optimizer)
        s.scaler.update()
        loop.step += 1
        with torch.no_grad():
            hits = (decided_labels(head.predict(outputs)) == targets.labels).sum()
        meter.add(loss, hits, share.count)
        if not s.forecast.batch_timed:
            warn_slow(s.forecast.from_first_batch(time.perf_counter() - epoch_start, share.count), epoch)
        if s.pacer.due(batch_number, batches):
            loss_value = float(loss.detach())
            _require_finite(torch.tensor(loss_value), t.lr, epoch, batch_number)
            emit(BatchEnded(
                epoch, batch_number, batches, loop.step, loss_value, float(hits) / share.count,
                meter.seen * world.size / max(time.perf_counter() - epoch_start, 1e-9),
            ))
    totals = world.sum(torch.stack([meter.loss_sum.to("cpu", torch.float64), meter.hits.to("cpu", torch.float64),
                                    torch.tensor(float(meter.seen), dtype=torch.float64)]))
    _require_finite(totals[0], t.lr, epoch, batches)  # on a GPU, a NaN after the last report shows here
    return EpochTotals(int(totals[2]), int(totals[1]), float(totals[0]), time.perf_counter() - epoch_start)


def _stop_agreed(s: FitSession, stop_requested: Callable[[], bool], batch_number: int) -> bool:
    """Whether to stop before this batch; under data-parallel training every process stops at the same batch."""
    if not s.world.distributed:
        return stop_requested()
    if s.device.type != "cpu" and batch_number % 10 != 1:  # asking the others costs a GPU wait: every 10th batch
        return False
    return s.world.any_true(stop_requested())


def _require_finite(loss: torch.Tensor, lr: float, epoch: int, batch_number: int) -> None:
    if not torch.isfinite(loss):
        kind = "NaN" if torch.isnan(loss) else "infinite"
        raise TrainingError(
            f"the loss became {kind} at epoch {epoch}, batch {batch_number}: the learning rate "
            f"{lr:g} is probably too high; try {suggested_lr(lr):g}"
        )
