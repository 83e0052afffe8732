"""``cnnstudio predict RUN_DIR IMAGE...``: classify image files, and the image files in folders, with a trained run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_FAILED, EXIT_OK
from cnnstudio.cli.flags import json_flag
from cnnstudio.cli.format import format_prediction, json_line
from cnnstudio.cli.run_args import existing_run_dir, say_checkpoint_note
from cnnstudio.core.errors import ConfigError


def add_command(commands: Any) -> None:
    """Add the ``predict`` sub-command."""
    predict = commands.add_parser(
        "predict", help="classify image files with a trained run",
        description="Classify image files, and the image files in folders, with a trained run; results are "
                    "printed as they come. Files that are not a supported image type are named and counted "
                    "(exit code 1), folders' in one line each; hidden files in folders are left out.")
    predict.add_argument("run_dir", metavar="RUN_DIR")
    predict.add_argument("images", metavar="IMAGE", nargs="+", help="an image file, or a folder of them (subfolders too)")
    predict.add_argument("--threshold", type=float, metavar="T", help="decision threshold for this call (default: the run's saved one)")
    predict.add_argument("--gradcam", metavar="DIR", help="save each image with its Grad-CAM (what raised the decided class) as DIR/NAME.gradcam.png")
    predict.add_argument("--layer", metavar="NAME", help="the layer Grad-CAM explains (default: the last conv layer, e.g. conv4)")
    predict.add_argument("--maps", metavar="DIR", help="defect (heat-map) runs: save each image's defect map, the size "
                                                       "of the file (white = defect), as DIR/NAME.map.png")
    json_flag(predict, "the predictions")
    predict.set_defaults(handler=cmd_predict)


def cmd_predict(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio predict``."""
    from cnnstudio.app.runner import load_run_model

    model = load_run_model(existing_run_dir(args.run_dir))
    say_checkpoint_note(model.note)
    if args.threshold is not None:
        from cnnstudio.core.evaluate.threshold import validate_threshold

        if model.threshold is None:
            raise ConfigError(f"--threshold: head '{model.head_id}' of {args.run_dir} has no decision threshold")
        model.model.head.set_threshold(validate_threshold(args.threshold))
    folder = None
    if args.layer and not args.gradcam:
        raise ConfigError("--layer chooses the layer of --gradcam DIR; give --gradcam too")
    if args.gradcam:
        from cnnstudio.cli.explain import gradcam_folder

        folder = gradcam_folder(args.gradcam)
    maps = None
    if args.maps:
        from cnnstudio.cli.defect_maps import DefectMapWriter, maps_folder

        maps = DefectMapWriter(model, maps_folder(args.maps))
    targets, problems = prediction_targets(args.images)
    # Streamed: a few files are decoded and predicted at a time, each result printed as it comes.
    results = predicted_entries(model, targets)
    if folder is not None:
        from cnnstudio.cli.explain import write_gradcam_pictures

        # Gathered first (small dicts, no pixels): the picture names must be unique across all files;
        # the pictures themselves are made one file at a time.
        results = list(results)
        write_gradcam_pictures(model, [entry for entry, _ in results], folder, args.layer)
    printer = JsonPredictionsPrinter(args.run_dir, model) if args.json else None
    failed = 0
    for entry, summarised in results:
        if maps is not None:
            maps.write(entry)
        if "error" in entry:
            failed += 1
            if not summarised:
                print(f"cnnstudio: error: {entry['error']}", file=sys.stderr, flush=True)
        if printer is not None:
            printer.add(entry)
        elif "error" not in entry:
            print(format_prediction(entry), flush=True)
            if "gradcam" in entry:
                print(f"  Grad-CAM: {entry['gradcam']}", flush=True)
            if "map" in entry:
                print(f"  defect map: {entry['map']}", flush=True)
    if maps is not None and not maps.used:
        print(f"cnnstudio: note: --maps: head '{model.head_id}' of {args.run_dir} draws no defect map; "
              f"no map was written", file=sys.stderr)
    for problem in problems:  # one line per folder, after the results
        print(f"cnnstudio: error: {problem}", file=sys.stderr)
    if printer is not None:
        printer.finish(failed, problems)
    return EXIT_FAILED if failed or problems else EXIT_OK


def prediction_targets(names: list[str]) -> tuple[list[tuple[Path, str | None, bool]], list[str]]:
    """The files that ``cnnstudio predict`` is given, in order, and one line per folder that needs saying.

    Each file comes as (path, why it is skipped or None, whether that is summarised in its folder's
    line). A named file is predicted unless its name does not end in a supported image type (it is
    then skipped, and named); a file that does not exist is left for the reader to report. A folder
    gives its files (``_folder_files``: sorted, subfolders after, hidden names such as ``.DS_Store``
    left out); the ones of other types are skipped and summarised in one line with their count and
    first names.
    """
    from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS

    supported = f"(supported: {', '.join(IMAGE_EXTENSIONS)})"
    unsupported = f"not a supported image type {supported}"
    targets: list[tuple[Path, str | None, bool]] = []
    problems: list[str] = []
    for name in names:
        path = Path(name).expanduser()
        if path.is_dir():
            files = _folder_files(path)
            skipped = [file for file in files if file.suffix.lower() not in IMAGE_EXTENSIONS]
            for file in files:
                targets.append((file, None if file.suffix.lower() in IMAGE_EXTENSIONS else f"{file}: {unsupported}", True))
            if not files:
                problems.append(f"{path}: no files to predict in this folder")
            elif skipped:
                shown = ", ".join(file.relative_to(path).as_posix() for file in skipped[:3])
                more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
                what = "file is" if len(skipped) == 1 else "files are"
                problems.append(f"{path}: {len(skipped)} {what} not a supported image type and skipped "
                                f"{supported}: {shown}{more}")
        elif path.exists() and path.suffix.lower() not in IMAGE_EXTENSIONS:
            targets.append((path, f"{path}: {unsupported}", False))
        else:
            targets.append((path, None, False))
    return targets, problems


def _folder_files(folder: Path) -> list[Path]:
    """The files under ``folder``: each folder's files sorted by name, then its subfolders' (sorted);
    hidden files and folders left out."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found.extend(Path(root) / name for name in sorted(files) if not name.startswith("."))
    return found


def predicted_entries(model: Any, targets: list[tuple[Path, str | None, bool]]) -> Iterator[tuple[dict[str, Any], bool]]:
    """(entry, summarised) per target, in order, lazily: skipped files get their error, the others are
    predicted through ``model.iter_predictions`` a batch at a time."""
    predictions = model.iter_predictions(path for path, reason, _ in targets if reason is None)
    for path, reason, summarised in targets:
        if reason is None:
            yield next(predictions), summarised
        else:
            yield {"file": str(path), "error": reason}, summarised


class JsonPredictionsPrinter:
    """``--json`` for predict, written as results come: the same single line as ``json_line`` of
    ``{"run_dir", "predictions": [...], "failed", "weights", "weights_note"}`` (and ``problems``
    when a folder had files skipped), its predictions flushed one by one."""

    def __init__(self, run_dir: Any, model: Any) -> None:
        self.run_dir, self.model, self.count = run_dir, model, 0

    def add(self, entry: dict[str, Any]) -> None:
        if self.count == 0:  # nothing on stdout before the first result: an early error leaves it empty
            head = json_line({"run_dir": str(self.run_dir), "predictions": []})
            sys.stdout.write(head[: -len("]}")])
        else:
            sys.stdout.write(", ")
        sys.stdout.write(json_line(entry))
        sys.stdout.flush()
        self.count += 1

    def finish(self, failed: int, problems: list[str]) -> None:
        tail: dict[str, Any] = {"failed": failed, "weights": self.model.which, "weights_note": self.model.note}
        if problems:
            tail["problems"] = problems
        if self.count == 0:
            print(json_line({"run_dir": str(self.run_dir), "predictions": [], **tail}), flush=True)
        else:
            print("], " + json_line(tail)[1:], flush=True)
