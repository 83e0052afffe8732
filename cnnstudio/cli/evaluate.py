"""``cnnstudio evaluate RUN_DIR``: accuracy, confusion matrix, per-class scores and the worst mistakes of a run."""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_OK
from cnnstudio.cli.flags import json_flag
from cnnstudio.cli.format import format_evaluation, json_line
from cnnstudio.cli.run_args import existing_run_dir, say_checkpoint_note


def add_command(commands: Any) -> None:
    """Add the ``evaluate`` sub-command."""
    evaluate = commands.add_parser("evaluate", help="accuracy, confusion matrix and per-class scores of a run")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--dataset", metavar="ID_OR_FOLDER", help="evaluate on another dataset (default: the run's)")
    evaluate.add_argument("--split", choices=("test", "val", "all"), default="test")
    evaluate.add_argument("--mistakes", type=int, default=5, metavar="N",
                          help="list the N wrongly decided images with the highest loss (default 5; 0: none)")
    json_flag(evaluate, "the report")
    evaluate.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio evaluate``."""
    from cnnstudio.app.runner import evaluate_run
    from cnnstudio.cli.explain import format_mistakes, worst_mistakes

    kwargs: dict[str, Any] = {"split": args.split}
    if args.dataset:
        kwargs["dataset"] = args.dataset

    report = evaluate_run(existing_run_dir(args.run_dir), **kwargs)
    say_checkpoint_note(report.weights_note)
    data = report.to_dict()
    data.setdefault("run_dir", str(args.run_dir))
    data["mistakes"] = worst_mistakes(report, args.mistakes)
    if args.json:
        print(json_line(data))
    else:
        print(format_evaluation(data))
        if args.mistakes:
            print()
            print(format_mistakes(data["mistakes"], len(report.mistakes())))
    return EXIT_OK
