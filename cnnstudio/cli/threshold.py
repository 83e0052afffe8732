"""``cnnstudio threshold RUN_DIR [T | --recall X | --fpr Y]``: show, set or solve a run's decision threshold.

``--recall`` / ``--fpr`` solve it on the validation split and save it: the run
is evaluated on its validation split; each image's score is ``1 - p(class 0)``
(what the thresholded heads compare), labels other than 0 are positives. The
solved threshold is written into the run's weights, so ``cnnstudio predict``
and exports apply it. numpy is imported inside the functions, so that
``cnnstudio --help`` stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.cli.exit_codes import EXIT_OK
from cnnstudio.cli.run_args import check_run_model, existing_run_dir, say_checkpoint_note
from cnnstudio.core.errors import ConfigError, RunError

if TYPE_CHECKING:
    import numpy as np


def add_command(commands: Any) -> None:
    """Add the ``threshold`` sub-command."""
    threshold = commands.add_parser("threshold", help="show or set a run's saved decision threshold")
    threshold.add_argument("run_dir", metavar="RUN_DIR")
    threshold.add_argument("value", metavar="T", type=float, nargs="?", help="new threshold, between 0 and 1")
    solve = threshold.add_mutually_exclusive_group()
    solve.add_argument("--recall", type=float, metavar="X", help="highest threshold with validation recall at least X")
    solve.add_argument("--fpr", type=float, metavar="Y", help="lowest threshold with validation false-positive rate at most Y")
    threshold.set_defaults(handler=cmd_threshold)


def cmd_threshold(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio threshold``."""
    from cnnstudio.core.evaluate.threshold import run_threshold, set_run_threshold
    from cnnstudio.core.runs.folder import RunFolder

    run_dir = existing_run_dir(args.run_dir)
    say_checkpoint_note(RunFolder(run_dir).checkpoint().note)
    check_run_model(run_dir)
    if args.recall is not None or args.fpr is not None:
        return solve_command(run_dir, args.value, args.recall, args.fpr)
    if args.value is None:
        value = run_threshold(run_dir)
        print(f"{run_dir}: " + ("no decision threshold (the highest probability decides)" if value is None else f"threshold {value:.4f}"))
    else:
        print(f"{run_dir}: threshold set to {set_run_threshold(run_dir, args.value):.4f}")
    return EXIT_OK


def validation_scores(run_dir: Path, split: str = "val") -> tuple[np.ndarray, np.ndarray]:
    """(scores, positives) of the run's ``split``, computed as the heads do (float32 ``1 - p0``)."""
    from cnnstudio.app.runner import evaluate_run
    from cnnstudio.core.evaluate.threshold_curves import report_scores

    return report_scores(evaluate_run(run_dir, split=split))


def solve_and_save(run_dir: Path, recall: float | None = None, fpr: float | None = None) -> dict[str, float]:
    """Solve for ``recall`` (at least) or ``fpr`` (at most) on validation, save the threshold, return the figures."""
    import numpy as np

    from cnnstudio.core.evaluate.threshold import run_threshold, set_run_threshold
    from cnnstudio.core.evaluate.threshold_curves import (
        confusion_at,
        highest_threshold_with_recall,
        lowest_threshold_with_fpr,
    )

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
