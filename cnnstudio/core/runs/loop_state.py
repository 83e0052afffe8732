"""The training loop's counters and the pieces of a run that resume needs.

Everything saved in ``state/last.pt`` is a tensor or a plain container of
ints, floats, strings and bools, so it loads with ``torch.load(...,
weights_only=True)``. The loop's random streams (batch order, augmentation,
dropout) are re-seeded from ``(seed, epoch)`` at the start of every epoch, so
a resumed run draws exactly the numbers an uninterrupted run would have.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from cnnstudio.core.errors import RunError

STATE_VERSION = 1


@dataclass
class LoopState:
    """Where the loop is; saved after every epoch."""

    epoch: int = 0  # last completed epoch (0 before the first)
    step: int = 0  # optimizer steps taken
    best_epoch: int = 0  # epoch of the best checkpoint (0 = none yet)
    best_score: float = -math.inf  # val_<primary metric>, sign-adjusted so higher is better
    best_val_loss: float = math.inf  # breaks ties between equal scores
    bad_epochs: int = 0  # epochs since the last improvement (early stopping)
    overfitting_shown: bool = False  # the over-fitting advice was emitted (once per run)
    seconds: float = 0.0  # training seconds so far, over all sessions
    history: list[dict[str, float]] = field(default_factory=list)  # each epoch's metrics
    best_digest: str = ""  # of weights/best.safetensors as saved (core/checkpoint.py checks it)

    def improved(self, score: float, val_loss: float) -> bool:
        """Whether an epoch with ``score`` (higher is better) and ``val_loss`` beats the best."""
        if math.isnan(score):
            return val_loss < self.best_val_loss
        if score != self.best_score:
            return score > self.best_score
        return val_loss < self.best_val_loss

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopState:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def stream_seed(seed: int, epoch: int, stream: int) -> int:
    """A distinct, reproducible seed for one random stream of one epoch."""
    return (seed * 1_000_003 + epoch * 7_919 + stream * 104_729) % (2**63 - 1)


def score_of(metrics: dict[str, float], primary_metric: str) -> float:
    """val_<primary_metric> oriented so higher is better (metrics ending in 'loss' are negated)."""
    value = metrics.get(f"val_{primary_metric}", math.nan)
    return -value if primary_metric.endswith("loss") else value


def learning_rate(base_lr: float, schedule: str, epoch: int, epochs: int) -> float:
    """The learning rate of 1-based ``epoch``: constant, or a cosine from base_lr towards 0."""
    if schedule == "cosine":
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / max(1, epochs)))
    return base_lr


def suggested_lr(lr: float) -> float:
    """A learning rate worth trying after the loss blew up at ``lr``."""
    return 0.001 if lr > 0.001 else lr / 10


def make_state(loop: LoopState, optimizer: torch.optim.Optimizer, partial_epoch: bool) -> dict[str, Any]:
    """What state/last.pt holds."""
    return {
        "version": STATE_VERSION,
        "loop": loop.to_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "partial_epoch": partial_epoch,
    }


def validate_state(state: Any, where: str) -> dict[str, Any]:
    """``state`` if it has the structure a checkpoint needs, else a RunError naming ``where``."""
    def damaged(what: str) -> RunError:
        return RunError(f"{where} is damaged ({what})")

    if not isinstance(state, dict):
        raise damaged(f"expected a dictionary, found {type(state).__name__}")
    for key, kind in (("loop", dict), ("optimizer", dict)):
        if not isinstance(state.get(key), kind):
            raise damaged(f"no '{key}' section")
    loop = state["loop"]
    for key in ("epoch", "step", "best_epoch"):
        value = loop.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise damaged(f"loop.{key} must be a whole number >= 0, found {value!r}"[:200])
    if not isinstance(loop.get("history", []), list):
        raise damaged("loop.history is not a list")
    seconds = loop.get("seconds", 0.0)
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        raise damaged("loop.seconds is not a number")
    if "model" in state and not isinstance(state["model"], dict):
        raise damaged("its model weights are not a dictionary")
    if not isinstance(state.get("torch_rng"), torch.Tensor) or state["torch_rng"].dtype != torch.uint8:
        raise damaged("no random-number state")
    return state
