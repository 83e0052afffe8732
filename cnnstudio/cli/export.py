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
from typing import Any

from cnnstudio.app.export_job import EXTENSIONS, export_job
from cnnstudio.cli.format import json_line


def cmd_export(args: argparse.Namespace) -> int:
    """Export, print the result (one JSON line with --json); 0 when parity passed, 1 when it FAILED."""
    result = export_job(args.run_dir, args.format, args.out, on_note=_print_note)
    if args.json:
        print(json_line(result.to_dict()))
    else:
        print(f"Exported {result.path}")
        print(result.report.text())
        print(f"Parity report: {result.parity_file}")
    return 0 if result.report.passed else 1


def _print_note(note: str) -> None:
    print(f"cnnstudio: note: {note}", file=sys.stderr)


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
