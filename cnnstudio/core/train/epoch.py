"""One training epoch: every batch of the training split, in the epoch's seeded order.

Randomness is drawn from streams seeded by ``(seed, epoch)`` (``loop_state.stream_seed``):
dropout, the batch order and augmentation, so a resumed run draws what an
uninterrupted one would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.sampling import epoch_order, select_targets
from cnnstudio.core.errors import TrainingError
from cnnstudio.core.events import BatchEnded, Event
from cnnstudio.core.model.heads import decided_labels
from cnnstudio.core.runs.loop_state import learning_rate, stream_seed, suggested_lr
from cnnstudio.core.train.fit_session import FitSession
from cnnstudio.core.train.pace import StopNow


class EpochTotals(NamedTuple):
    """What one epoch's training batches add up to."""

    seen: int
    correct: int
    loss_sum: float
    train_seconds: float


def train_epoch(
    s: FitSession, config: RunConfig, epoch: int, epoch_start: float, stop_requested: Callable[[], bool],
    emit: Callable[[Event], None], warn_slow: Callable[[str, int], None],
) -> EpochTotals:
    """One pass over the training images in this epoch's seeded order; raises StopNow when stopped."""
    cfg, t, loop, head = config, config.training, s.loop, s.model.head
    s.watch.start(epoch)
    for group in s.optimizer.param_groups:
        group["lr"] = learning_rate(t.lr, t.lr_schedule, epoch, t.epochs)
    torch.manual_seed(stream_seed(cfg.seed, epoch, 0))  # dropout
    order = epoch_order(len(s.data.train), s.sample_weights,
                        torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 1)))
    augment_rng = torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 2))
    s.model.train()
    seen, correct, loss_sum = 0, 0, 0.0
    s.stops.armed = True
    s.pacer.restart()
    batches = len(s.batch_starts)
    for batch_number, start in enumerate(s.batch_starts, start=1):
        if stop_requested():
            raise StopNow("stop requested")
        index = order[start : start + t.batch_size]
        batch = s.data.train.images[index].float().div_(255)  # (n, 3, H, W) float in [0, 1]
        targets = select_targets(s.data.train_targets, index)
        if s.augmenter.enabled:
            batch, targets.masks, targets.boxes = s.augmenter(batch, targets.masks, targets.boxes, augment_rng)
        batch = batch.to(s.device, memory_format=s.memory_format)
        targets = targets.to(s.device)
        outputs = s.model(batch)
        loss = head.loss(outputs, targets)
        if not torch.isfinite(loss):
            kind = "NaN" if torch.isnan(loss) else "infinite"
            raise TrainingError(
                f"the loss became {kind} at epoch {epoch}, batch {batch_number}: the learning rate "
                f"{t.lr:g} is probably too high; try {suggested_lr(t.lr):g}"
            )
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        loop.step += 1
        loss_value = loss.detach().item()
        with torch.no_grad():
            hits = int((decided_labels(head.predict(outputs)) == targets.labels).sum())
        n = len(index)
        seen, correct, loss_sum = seen + n, correct + hits, loss_sum + loss_value * n
        if not s.forecast.batch_timed:
            warn_slow(s.forecast.from_first_batch(time.perf_counter() - epoch_start, n), epoch)
        if s.pacer.due(batch_number, batches):
            emit(BatchEnded(
                epoch, batch_number, batches, loop.step, loss_value, hits / n,
                seen / max(time.perf_counter() - epoch_start, 1e-9),
            ))
    return EpochTotals(seen, correct, loss_sum, time.perf_counter() - epoch_start)
