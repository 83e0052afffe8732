"""``cnnstudio threshold RUN_DIR --recall X | --fpr Y``: solve a threshold on the validation split and save it.

The run is evaluated on its validation split; each image's score is
``1 - p(class 0)`` (what the thresholded heads compare), labels other than 0
are positives. The solved threshold is written into the run's weights, so
``cnnstudio predict`` and exports apply it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnstudio.core.evaluate.threshold_curves import (
    confusion_at,
    highest_threshold_with_recall,
    lowest_threshold_with_fpr,
    report_scores,
)
from cnnstudio.core.errors import ConfigError, RunError


def validation_scores(run_dir: Path, split: str = "val") -> tuple[np.ndarray, np.ndarray]:
    """(scores, positives) of the run's ``split``, computed as the heads do (float32 ``1 - p0``)."""
    from cnnstudio.app.runner import evaluate_run

    return report_scores(evaluate_run(run_dir, split=split))


def solve_and_save(run_dir: Path, recall: float | None = None, fpr: float | None = None) -> dict[str, float]:
    """Solve for ``recall`` (at least) or ``fpr`` (at most) on validation, save the threshold, return the figures."""
    from cnnstudio.core.evaluate.threshold import run_threshold, set_run_threshold

    if (recall is None) == (fpr is None):
        raise ConfigError("give exactly one of --recall and --fpr")
    if run_threshold(run_dir) is None:
        raise RunError(f"{run_dir}: its head has no decision threshold; it decides by the highest probability")
    scores, positives = validation_scores(run_dir)
    if recall is not None:
        threshold = highest_threshold_with_recall(scores, positives, recall)
    else:
        threshold = lowest_threshold_with_fpr(scores, positives, fpr)
    saved = set_run_threshold(run_dir, threshold)
    counts = confusion_at(scores, positives, float(np.float32(saved)))
    return {
        "threshold": saved, "recall": counts.recall, "fpr": counts.fpr, "precision": counts.precision,
        "tp": counts.tp, "fp": counts.fp, "tn": counts.tn, "fn": counts.fn,
    }


def format_solution(run_dir: Path, figures: dict[str, float]) -> str:
    """Human-readable lines for the solved threshold and its validation figures."""
    return (
        f"{run_dir}: threshold set to {figures['threshold']:.6f}\n"
        f"  on validation: recall {figures['recall']:.4f}, false-positive rate {figures['fpr']:.4f}, "
        f"precision {figures['precision']:.4f}\n"
        f"  tp {figures['tp']}  fp {figures['fp']}  tn {figures['tn']}  fn {figures['fn']}"
    )


def solve_command(run_dir: Path, value: float | None, recall: float | None, fpr: float | None) -> int:
    """The ``--recall`` / ``--fpr`` branch of ``cnnstudio threshold``; prints the result, returns exit code 0."""
    if value is not None:
        raise ConfigError("give either a threshold value or --recall/--fpr, not both")
    print(format_solution(run_dir, solve_and_save(run_dir, recall=recall, fpr=fpr)))
    return 0
