"""``cnnstudio export RUN_DIR --format onnx|torchscript [--out FILE] [--json]``.

Writes the run's model as a file that takes raw uint8 RGB images (resize,
normalisation and decision threshold inside), checks parity against the
PyTorch model on at least 200 validation images, and writes the report next
to the file as ``<file>.parity.json``. Exit codes: 0 parity passed; 1 the
file was written but parity FAILED; 2 bad run folder, format or output path,
or the file could not be written (disk full, file size limit, read-only
folder: the old file and its report are then left as they were).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cnnstudio.cli.format import json_line
from cnnstudio.core.errors import ExportError, RunError

EXTENSIONS = {"onnx": "onnx", "torchscript": "pt"}


def default_output(run_dir: Path, format: str) -> Path:
    """RUN_DIR/export/model.onnx or model.pt (the HTML report looks there)."""
    return Path(run_dir) / "export" / f"model.{EXTENSIONS[format]}"


def export_run(run_dir: str | Path, format: str, out: str | Path | None = None, manager: Any | None = None) -> tuple[Path, Any]:
    """Export a run's best model to ``out`` (default ``default_output``); returns (path, ParityReport).

    Parity images: the run's validation split (topped up from training to 200).
    """
    from cnnstudio.core.export.exporter import check_format, export_model
    from cnnstudio.core.export.parity import parity_images
    from cnnstudio.app.runner import load_run_model, prepare

    format = check_format(format)
    run_dir = Path(run_dir).expanduser()
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: run folder not found")
    if not (run_dir / "run.json").is_file():
        raise RunError(f"{run_dir}: not a run folder (no run.json)")
    path = Path(out).expanduser() if out else default_output(run_dir, format)
    if path.is_dir():
        raise RunError(f"{path}: --out is a folder; give a file name such as {path / ('model.' + EXTENSIONS[format])}")
    trained = load_run_model(run_dir, manager=manager)
    if trained.note:  # a run stopped before its first best exports its last checkpoint
        print(f"cnnstudio: note: {trained.note}", file=sys.stderr)
    _, imageset, _ = prepare(trained.config, manager)
    images, description = parity_images(trained.config, imageset)
    try:
        return export_model(trained, format, path, images, description)
    except OSError as error:  # disk full, file size limit, read-only folder: the person's to fix
        raise ExportError(describe_write_error(error, path)) from None


def describe_write_error(error: OSError, path: Path) -> str:
    """One line naming the file and the cause: ``cannot write /x/model.onnx: No space left on device``."""
    return f"cannot write {error.filename or path}: {error.strerror or error}"


def cmd_export(args: argparse.Namespace) -> int:
    from cnnstudio.core.export.exporter import parity_path

    path, report = export_run(args.run_dir, args.format, args.out)
    if args.json:
        print(json_line({"file": str(path), "parity_file": str(parity_path(path)), "passed": report.passed,
                         "report": report.to_dict(), "text": report.text()}))
    else:
        print(f"Exported {path}")
        print(report.text())
        print(f"Parity report: {parity_path(path)}")
    return 0 if report.passed else 1


def add_command(commands: Any) -> None:
    """Add the ``export`` sub-command."""
    parser = commands.add_parser(
        "export", help="write the model as ONNX or TorchScript (takes raw uint8 images) and check parity",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder to export")
    parser.add_argument("--format", choices=sorted(EXTENSIONS), required=True, help="onnx (onnxruntime, many languages) or torchscript (PyTorch/LibTorch)")
    parser.add_argument("--out", metavar="FILE", help="where to write the model (default RUN_DIR/export/model.onnx or model.pt)")
    parser.add_argument("--json", action="store_true", help="print the result and parity report as one JSON object on the last stdout line")
    parser.set_defaults(handler=cmd_export)
