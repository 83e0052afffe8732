"""``cnnstudio evaluate``, ``predict`` and ``threshold``: using a trained run folder.

Registered by ``cnnstudio.cli.build_parser`` through ``add_run_commands``;
torch is imported inside the commands only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from cnnstudio.cli_format import format_evaluation, format_prediction, json_line
from cnnstudio.errors import ConfigError, RunError

EXIT_OK, EXIT_FAILED = 0, 1


def existing_run_dir(text: str) -> Path:
    """``text`` as a path to an existing folder, or RunError naming it."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise RunError(f"{path}: run folder not found")
    return path


def say_checkpoint_note(note: str) -> None:
    """Tell people (on stderr, so ``--json`` output stays one line) which checkpoint stands in for best."""
    if note:
        print(f"cnnstudio: note: {note}", file=sys.stderr)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cnnstudio.cli_explain import format_mistakes, worst_mistakes
    from cnnstudio.runner import evaluate_run

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


def cmd_predict(args: argparse.Namespace) -> int:
    from cnnstudio.runner import load_run_model

    model = load_run_model(existing_run_dir(args.run_dir))
    say_checkpoint_note(model.note)
    if args.threshold is not None:
        from cnnstudio.core.threshold import validate_threshold

        if model.threshold is None:
            raise ConfigError(f"--threshold: head '{model.head_id}' of {args.run_dir} has no decision threshold")
        model.model.head.set_threshold(validate_threshold(args.threshold))
    folder = None
    if args.layer and not args.gradcam:
        raise ConfigError("--layer chooses the layer of --gradcam DIR; give --gradcam too")
    if args.gradcam:
        from cnnstudio.cli_explain import gradcam_folder

        folder = gradcam_folder(args.gradcam)
    entries = model.predict_files(args.images)  # unreadable files come back with an "error"
    if folder is not None:
        from cnnstudio.cli_explain import write_gradcam_pictures

        write_gradcam_pictures(model, entries, folder, args.layer)
    failed = 0
    for entry in entries:
        if "error" in entry:
            failed += 1
            print(f"cnnstudio: error: {entry['error']}", file=sys.stderr)
        elif not args.json:
            print(format_prediction(entry))
            if "gradcam" in entry:
                print(f"  Grad-CAM: {entry['gradcam']}")
    if args.json:
        print(json_line({"run_dir": str(args.run_dir), "predictions": entries, "failed": failed,
                         "weights": model.which, "weights_note": model.note}))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_threshold(args: argparse.Namespace) -> int:
    from cnnstudio.core.runs import RunFolder
    from cnnstudio.core.threshold import run_threshold, set_run_threshold

    run_dir = existing_run_dir(args.run_dir)
    say_checkpoint_note(RunFolder(run_dir).checkpoint().note)
    if args.recall is not None or args.fpr is not None:
        from cnnstudio.cli_threshold import solve_command

        return solve_command(run_dir, args.value, args.recall, args.fpr)
    if args.value is None:
        value = run_threshold(run_dir)
        print(f"{run_dir}: " + ("no decision threshold (the highest probability decides)" if value is None else f"threshold {value:.4f}"))
    else:
        print(f"{run_dir}: threshold set to {set_run_threshold(run_dir, args.value):.4f}")
    return EXIT_OK


def add_run_commands(commands: Any, json_flag: Callable[[argparse.ArgumentParser, str], None]) -> None:
    """Add evaluate, predict and threshold to the ``cnnstudio`` sub-parsers."""
    evaluate = commands.add_parser("evaluate", help="accuracy, confusion matrix and per-class scores of a run")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--dataset", metavar="ID_OR_FOLDER", help="evaluate on another dataset (default: the run's)")
    evaluate.add_argument("--split", choices=("test", "val", "all"), default="test")
    evaluate.add_argument("--mistakes", type=int, default=5, metavar="N",
                          help="list the N wrongly decided images with the highest loss (default 5; 0: none)")
    json_flag(evaluate, "the report")
    evaluate.set_defaults(handler=cmd_evaluate)

    predict = commands.add_parser("predict", help="classify image files with a trained run")
    predict.add_argument("run_dir", metavar="RUN_DIR")
    predict.add_argument("images", metavar="IMAGE", nargs="+")
    predict.add_argument("--threshold", type=float, metavar="T", help="decision threshold for this call (default: the run's saved one)")
    predict.add_argument("--gradcam", metavar="DIR", help="save each image with its Grad-CAM (what raised the decided class) as DIR/NAME.gradcam.png")
    predict.add_argument("--layer", metavar="NAME", help="the layer Grad-CAM explains (default: the last conv layer, e.g. conv4)")
    json_flag(predict, "the predictions")
    predict.set_defaults(handler=cmd_predict)

    threshold = commands.add_parser("threshold", help="show or set a run's saved decision threshold")
    threshold.add_argument("run_dir", metavar="RUN_DIR")
    threshold.add_argument("value", metavar="T", type=float, nargs="?", help="new threshold, between 0 and 1")
    solve = threshold.add_mutually_exclusive_group()
    solve.add_argument("--recall", type=float, metavar="X", help="highest threshold with validation recall at least X")
    solve.add_argument("--fpr", type=float, metavar="Y", help="lowest threshold with validation false-positive rate at most Y")
    threshold.set_defaults(handler=cmd_threshold)
