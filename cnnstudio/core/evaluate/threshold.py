"""A run's decision threshold: read it from, and write it into, the saved weights.

Heads that score "not class 0" (defects, tampering, logo presence, and any
two-class classifier) keep their threshold as the persistent buffer ``head.threshold``, so it travels with the
safetensors weights into predictions and exports. Changing it rewrites that
one value in every saved checkpoint of the run.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open

from cnnstudio.core.errors import RunError
from cnnstudio.core.model.decision import DEFAULT_THRESHOLD, validate_threshold
from cnnstudio.core.runs.folder import RunFolder

THRESHOLD_KEY = "head.threshold"
CHECKPOINTS = ("best", "last")


def run_threshold(run_dir: str | Path, which: str = "best") -> float | None:
    """The threshold saved in the run's ``which`` weights (its other checkpoint when those are missing),
    or None when its head has none."""
    run = RunFolder(run_dir)
    weights = run.load_weights(run.checkpoint(which).which)
    value = weights.get(THRESHOLD_KEY)
    if value is None and _older_two_class_classifier(weights):
        return DEFAULT_THRESHOLD
    return None if value is None else float(value)


def set_run_threshold(run_dir: str | Path, value: float) -> float:
    """Write ``value`` into every saved checkpoint of the run (atomically) and note it in run.json."""
    value = validate_threshold(value)
    run = RunFolder(run_dir)
    written = 0
    for which in CHECKPOINTS:
        path = run.weights_path(which)
        if not path.exists():
            continue
        weights = run.load_weights(which)
        if THRESHOLD_KEY not in weights and _older_two_class_classifier(weights):
            weights[THRESHOLD_KEY] = torch.tensor(DEFAULT_THRESHOLD)
        if THRESHOLD_KEY not in weights:
            head_id = run.read_info().get("head_id", "classification")
            raise RunError(
                f"{run.path}: head '{head_id}' has no decision threshold; it decides by the highest probability"
            )
        weights[THRESHOLD_KEY] = torch.tensor(value, dtype=weights[THRESHOLD_KEY].dtype)
        run.save_weights(which, weights, _saved_epoch(path))
        written += 1
    if not written:
        raise RunError(f"{run.path}: no saved weights to set a threshold in")
    run.update_info(threshold=value)
    return value


def _older_two_class_classifier(weights: dict[str, torch.Tensor]) -> bool:
    """Weights of a two-class classification head saved before it kept a threshold (it used the argmax)."""
    fc = weights.get("head.fc.weight")
    return fc is not None and fc.shape[0] == 2


def _saved_epoch(path: Path) -> int:
    with safe_open(str(path), framework="pt") as handle:
        return int((handle.metadata() or {}).get("epoch", 0))
