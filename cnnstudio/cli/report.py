"""``cnnstudio report RUN_DIR [--out FILE] [--split val|test]``: write a run's self-contained HTML report.

Prints the path of the written file. A folder that is not a run is exit code 2
with one line naming the folder and what is missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_command(commands: Any) -> None:
    """Add the ``report`` sub-command to the CLI's sub-parsers."""
    parser = commands.add_parser(
        "report", help="write one self-contained HTML report of a run",
        description="Write one HTML file (images and charts embedded, nothing fetched) with the run's config, "
                    "curves, confusion matrix, per-class metrics, threshold, filters, mistakes with Grad-CAM "
                    "and export parity.",
    )
    parser.add_argument("run_dir", type=Path, help="the run folder")
    parser.add_argument("--out", type=Path, help="the HTML file to write (default: RUN_DIR/report.html)")
    parser.add_argument("--split", choices=("val", "test"), default="val", help="the split to evaluate (default: val)")
    parser.add_argument("--mistakes", type=int, default=12, metavar="N", help="show the N worst mistakes (default: 12)")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report and print its path; errors are raised for ``cli.main`` to print."""
    from cnnstudio.app.report_job import report_job
    from cnnstudio.core.errors import ConfigError

    if args.mistakes < 0:
        raise ConfigError(f"--mistakes must be >= 0, got {args.mistakes}")
    print(report_job(args.run_dir, out=args.out, split=args.split, mistakes=args.mistakes).path)
    return 0
