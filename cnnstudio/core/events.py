"""The events a training run emits, in order:

RunStarted -> (BatchEnded* -> EpochEnded -> Snapshot? -> CheckpointWritten*)*
-> RunFinished | RunFailed, with Advice whenever the trainer spots a lesson's
common mistake (over-fitting). Events are frozen dataclasses of plain values
and NumPy arrays so they pickle across the process boundary to the GUI and
print as easily in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    class_names: tuple[str, ...]
    num_train: int
    num_val: int
    num_test: int
    epochs: int  # the last epoch number this run will reach (1-based)
    start_epoch: int  # 1 for a new run, later when resuming
    device: str
    threads: int
    config: dict[str, Any] = field(default_factory=dict)
    # (path, reason) of every file the dataset import could not use
    skipped_files: tuple[tuple[str, str], ...] = ()
    num_batches: int = 0  # training batches per epoch (0: not said)


@dataclass(frozen=True)
class BatchEnded:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    num_batches: int
    step: int  # global optimizer step, 1-based
    loss: float
    accuracy: float  # of this training batch
    images_per_s: float


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    epochs: int
    # Keras-style logs: "loss", "accuracy", "val_loss", "val_accuracy", plus
    # whatever the head adds ("val_auc", ...).
    metrics: dict[str, float]
    lr: float
    images_per_s: float
    eta_s: float
    seconds: float
    is_best: bool


@dataclass(frozen=True)
class Snapshot:
    """What the model has learned so far, for the filter gallery and feature maps."""

    epoch: int
    # layer name -> (out_channels, in_channels, k, k) float32 conv weights
    filters: dict[str, np.ndarray]
    # layer name -> (n_images, channels, h, w) float32 activations
    feature_maps: dict[str, np.ndarray]
    # (n_images, 3, H, W) uint8: the fixed validation images the maps belong to
    images: np.ndarray
    labels: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckpointWritten:
    epoch: int
    kind: str  # "best" | "last"
    path: str


@dataclass(frozen=True)
class Advice:
    """A lesson's common mistake spotted while training, in words."""

    epoch: int
    code: str  # e.g. "overfitting"
    message: str


@dataclass(frozen=True)
class RunFinished:
    run_dir: str
    reason: str  # "completed" | "early_stopped" | "cancelled"
    epochs_run: int  # last epoch completed
    best_epoch: int
    # best-checkpoint metrics: val_* and, when there is a test split, test_*
    metrics: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class RunFailed:
    run_dir: str
    message: str  # for people
    traceback: str = ""  # for the log


Event = RunStarted | BatchEnded | EpochEnded | Snapshot | CheckpointWritten | Advice | RunFinished | RunFailed
EVENT_TYPES = (
    RunStarted, BatchEnded, EpochEnded, Snapshot, CheckpointWritten, Advice, RunFinished, RunFailed
)
