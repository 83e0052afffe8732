"""What a resumed run starts from, read from its folder (by rank 0 alone under torchrun)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import CNNStudioError, ConfigError, RunError
from cnnstudio.core.runs.checkpoint import reconcile
from cnnstudio.core.runs.folder import SUMMARY_FILE, RunFolder
from cnnstudio.core.runs.loop_state import LoopState


def read_resume(run_dir: Path, epochs: int | None) -> tuple[RunConfig, dict[str, Any], dict[str, torch.Tensor], list[str], bool]:
    """What resuming ``run_dir`` starts from: its config (to ``epochs``), checkpoint state and weights, the repairs
    made to its checkpoint files, and whether every epoch was already trained."""
    run = RunFolder(run_dir)
    if run.is_live():
        raise RunError(f"{run.path} is being trained by another process (pid {run.read_info().get('pid')}); "
                       f"stop it before resuming")
    config = run.load_config()
    if epochs is not None:
        config = replace(config, training=replace(config.training, epochs=epochs)).validate()
    repairs = reconcile(run)
    state = run.load_state()
    weights = state["model"] if "model" in state else run.load_weights("last")
    loop = LoopState.from_dict(state["loop"])
    patience = config.training.patience
    trained = loop.epoch >= config.training.epochs or bool(patience and loop.bad_epochs >= patience)
    if trained and not state.get("partial_epoch") and run.file(SUMMARY_FILE).is_file():
        raise ConfigError(
            f"{run.path} already trained {loop.epoch} of training.epochs = {config.training.epochs}; "
            f"ask for more epochs to continue it"
        )
    return config, state, weights, repairs, trained


def attempt(read: Callable[[], Any]) -> Any:
    """``read()``, or the CNNStudioError it raised (handed to the other processes, which raise it too)."""
    try:
        return read()
    except CNNStudioError as error:
        return error
