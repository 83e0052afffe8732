"""``cnnstudio compare RUN_DIR RUN_DIR... [--json]``: what differs between runs' configs, and how they scored.

Prints two tables, the config fields whose values differ (one column per
run) and the final metrics (best validation score, best epoch, test scores,
epochs, time), then one sentence naming the best run and whether the gap is
beyond the noise of the validation split. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.format import json_line, table
from cnnstudio.core.errors import ConfigError


def add_command(commands: Any) -> None:
    """Add ``compare`` to the CLI's sub-commands."""
    parser = commands.add_parser(
        "compare", help="compare runs: config differences and final metrics",
        description="Compare runs: the config fields that differ between them, and their final metrics.",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="two or more run folders")
    parser.add_argument("--skip-damaged", action="store_true",
                        help="leave out run folders that cannot be read (listed with the reason) instead of failing")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    parser.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio compare``."""
    from cnnstudio.core.evaluate.compare import compare_runs

    if len(args.run_dirs) < 2:
        raise ConfigError("compare needs at least two run folders")
    comparison = compare_runs(args.run_dirs, skip_damaged=args.skip_damaged)
    print(as_json(comparison) if args.json else as_text(comparison))
    return 0


def as_text(comparison: Any) -> str:
    """The two tables and the headline, as printed."""
    from cnnstudio.core.evaluate.compare import headline, metric_rows, metric_text, value_text

    runs = comparison.runs
    lines = ["Runs:"]
    lines += [f"  [{i + 1}] {run.name}  ({run.label})  {run.path}" for i, run in enumerate(runs)]
    header = ["field", *(f"[{i + 1}]" for i in range(len(runs)))]
    lines.append("")
    if comparison.differences:
        lines.append("Config differences:")
        lines.append(table(header, [[d.field, *map(value_text, d.values)] for d in comparison.differences]))
    else:
        lines.append("Config differences: none (the configs are identical)")
    lines.append("")
    lines.append("Final metrics:")
    rows = [[row.name, *map(metric_text, row.values)] for row in metric_rows(comparison)]
    lines.append(table(["metric", *header[1:]], rows, right=tuple(range(1, len(header)))))
    lines.append("")
    lines.append(headline(comparison))
    for path, reason in comparison.unreadable:
        lines.append(f"skipped {path}: {reason}")
    return "\n".join(lines)


def as_json(comparison: Any) -> str:
    """One JSON object: runs (name, path, label, status, final metrics), differences, unreadable."""
    from cnnstudio.core.evaluate.compare import headline

    data = {
        "runs": [{"name": r.name, "path": str(r.path), "label": r.label, "status": r.status,
                  "primary_metric": r.primary_metric, "final": r.final} for r in comparison.runs],
        "differences": [{"field": d.field, "values": list(d.values)} for d in comparison.differences],
        "headline": headline(comparison),
        "unreadable": [{"path": str(p), "reason": reason} for p, reason in comparison.unreadable],
    }
    return json_line(data)

