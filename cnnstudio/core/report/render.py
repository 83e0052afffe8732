"""One self-contained HTML report of a run: config, curves, confusion, per-class metrics, threshold, filters,
mistakes with Grad-CAM, export parity.

    run = check_run_folder(run_dir)                   # RunError naming the folder when it is not a run
    html = render_report(run, findings)               # findings: core/report/findings.py
    html = render_report(run, None, "the run has no checkpoint yet")   # without the model's sections

Images are embedded as base64 PNG data URIs and charts as inline SVG: the
file can be mailed or archived on its own and renders offline. A run that is
still training (or lost its weights or dataset) gets a report of what exists,
with a note where a part is missing. This module only renders: evaluating the
model needs the plugins, so ``cnnstudio.app.report_job`` does it and writes
the file.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from cnnstudio import __version__
from cnnstudio.core.errors import RunError
from cnnstudio.core.report.findings import ModelFindings
from cnnstudio.core.report.html import e, fmt, note, page, section
from cnnstudio.core.report.model_sections import (
    filters_section,
    mistakes_section,
    parity_section,
    read_parity_files,
    threshold_section,
)
from cnnstudio.core.report.sections import config_section, confusion_section, curves_section, per_class_section
from cnnstudio.core.runs.folder import CONFIG_FILE, INFO_FILE, RunFolder

REPORT_FILE = "report.html"
REPORT_SPLITS = ("val", "test")
TOC = (
    ("config", "Config"), ("curves", "Curves"), ("confusion", "Confusion"), ("per-class", "Per class"),
    ("threshold", "Threshold"), ("filters", "Filters"), ("mistakes", "Mistakes"), ("export", "Export"),
)


def check_run_folder(run_dir: str | Path) -> RunFolder:
    """The RunFolder of ``run_dir``; RunError naming the folder and the missing file when it is not a run."""
    path = Path(run_dir).expanduser()
    if not path.is_dir():
        raise RunError(f"{path}: no such run folder")
    for name in (CONFIG_FILE, INFO_FILE):
        if not (path / name).is_file():
            raise RunError(f"{path} is not a CNN Studio run folder: {name} is missing")
    return RunFolder(path)


def render_report(run: RunFolder, findings: ModelFindings | None, unavailable: str = "") -> str:
    """The report's HTML text; without ``findings`` the model's sections say ``unavailable`` (why they are missing)."""
    config = run.load_config()
    info = run.read_info()
    summary = _optional(run.read_summary) if run.file("summary.json").exists() else {}
    records = run.read_metrics()
    best_epoch = info.get("best_epoch", summary.get("best_epoch"))
    best_epoch = best_epoch if isinstance(best_epoch, int) else None

    sections = [config_section(config, info.get("dataset_options")), curves_section(records, best_epoch)]
    if findings is None:
        missing = f"Not available: {unavailable}"
        for anchor, title in (("confusion", "Confusion matrix"), ("per-class", "Per-class metrics"),
                              ("threshold", "Decision threshold"), ("filters", "Filters"), ("mistakes", "Mistakes")):
            sections.append(section(anchor, title, note(missing)))
        report = None
    else:
        report = findings.report
        sections += [confusion_section(report), per_class_section(report)]
        if report.threshold is not None and report.scores is not None and len(report.class_names) == 2:
            sections.append(threshold_section(report))
        else:
            sections.append(section("threshold", "Decision threshold", note(
                "This head has no decision threshold: it decides by the highest probability.")))
        sections += [filters_section(findings.filters),
                     mistakes_section(report, findings.positions, findings.cams, findings.layer)]
    sections.append(parity_section(read_parity_files(run.path)))
    written = datetime.now().astimezone().isoformat(timespec="seconds")
    footer = f"Written by CNN Studio {e(__version__)} on {e(written)} from {e(run.path)}."
    return page(f"CNN Studio report: {run.name}", _header(run, config, info, summary, records, best_epoch, report),
                TOC, sections, footer)


def _optional(read: Any) -> dict[str, Any]:
    try:
        return read()
    except RunError:
        return {}


def _primary(info: dict[str, Any], summary: dict[str, Any], records: list[dict[str, Any]], best_epoch: int | None) -> str:
    name = str(info.get("primary_metric") or "accuracy")
    value = summary.get("metrics", {}).get(f"val_{name}") if isinstance(summary.get("metrics"), dict) else None
    if value is None:
        for record in records:
            if record.get("epoch") == best_epoch and isinstance(record.get("metrics"), dict):
                value = record["metrics"].get(f"val_{name}")
    return f"val {name} {value:.4f}" if isinstance(value, (int, float)) and math.isfinite(value) else f"val {name} \u2013"


def _header(run: RunFolder, config: Any, info: dict[str, Any], summary: dict[str, Any], records: list[dict[str, Any]],
            best_epoch: int | None, report: Any) -> str:
    dataset = info.get("dataset_title") or info.get("dataset_name") or config.dataset.id
    classes = info.get("class_names") or []
    created = str(info.get("created", "")).replace("T", " ")[:19] or "\u2013"
    epochs = summary.get("epochs_run", len(records))
    facts = [
        ("dataset", f"{dataset}"), ("head", info.get("head_id") or config.head.id or "classification"),
        ("created", created), ("status", info.get("status", "unknown")),
        ("best epoch", f"{best_epoch if best_epoch is not None else chr(0x2013)} of {epochs}"),
        ("primary metric", _primary(info, summary, records, best_epoch)),
    ]
    if report is not None:
        facts.append((f"{report.split} accuracy", f"{fmt(report.accuracy)} on {report.num_images} images"))
    sizes = info.get("split_sizes")
    if isinstance(sizes, dict):
        facts.append(("images", " / ".join(f"{k} {sizes[k]}" for k in ("train", "val", "test") if k in sizes)))
    cells = "".join(f'<div class="fact"><div class="label">{e(k)}</div><div class="value">{e(v)}</div></div>'
                    for k, v in facts)
    subtitle = f"{config.dataset.id} \u00b7 classes: {', '.join(map(str, classes)) or chr(0x2013)}"
    return (f'<header class="page"><div class="wrap"><h1>{e(run.name)}</h1><p class="subtitle">{e(subtitle)}</p>'
            f'<div class="facts">{cells}</div></div></header>')
