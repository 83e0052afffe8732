"""One self-contained HTML report of a run: config, curves, confusion, per-class metrics, threshold, filters,
mistakes with Grad-CAM, export parity.

    path = write_report(run_dir)                      # RUN_DIR/report.html, on the validation split
    path = write_report(run_dir, out="r.html", split="test")

Images are embedded as base64 PNG data URIs and charts as inline SVG: the
file can be mailed or archived on its own and renders offline. A folder
that is not a run raises RunError; a run that is still training (or lost its
weights or dataset) gets a report of what exists, with a note where a part is
missing.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from cnnstudio import __version__
from cnnstudio.core.atomic import atomic_write_text
from cnnstudio.core.report.html import e, fmt, note, page, section
from cnnstudio.core.report.model_sections import (
    filters_section, mistakes_section, parity_section, read_parity_files, threshold_section,
)
from cnnstudio.core.report.sections import config_section, confusion_section, curves_section, per_class_section
from cnnstudio.core.runs.folder import CONFIG_FILE, INFO_FILE, RunFolder
from cnnstudio.core.errors import CNNStudioError, ConfigError, RunError

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


def write_report(
    run_dir: str | Path, out: str | Path | None = None, split: str = "val", manager: Any | None = None,
    mistakes: int = 12,
) -> Path:
    """Write the run's HTML report to ``out`` (default RUN_DIR/report.html) and return its path."""
    if split not in REPORT_SPLITS:
        raise ConfigError(f"split must be one of {', '.join(REPORT_SPLITS)}, got {split!r}")
    run = check_run_folder(run_dir)
    target = Path(out).expanduser() if out is not None else run.path / REPORT_FILE
    if target.is_dir():
        raise ConfigError(f"--out {target} is a folder; give a file name such as {target / REPORT_FILE}")
    atomic_write_text(target, render_report(run, split, manager, mistakes))
    return target


def render_report(run: RunFolder, split: str = "val", manager: Any | None = None, mistakes: int = 12) -> str:
    """The report's HTML text (see ``write_report``)."""
    config = run.load_config()
    info = run.read_info()
    summary = _optional(run.read_summary) if run.file("summary.json").exists() else {}
    records = run.read_metrics()
    best_epoch = info.get("best_epoch", summary.get("best_epoch"))
    best_epoch = best_epoch if isinstance(best_epoch, int) else None

    sections = [config_section(config, info.get("dataset_options")), curves_section(records, best_epoch)]
    evaluated = _evaluate(run, split, manager, mistakes)
    if isinstance(evaluated, str):  # why the model-dependent parts are missing
        missing = f"Not available: {evaluated}"
        for anchor, title in (("confusion", "Confusion matrix"), ("per-class", "Per-class metrics"),
                              ("threshold", "Decision threshold"), ("filters", "Filters"), ("mistakes", "Mistakes")):
            sections.append(section(anchor, title, note(missing)))
        report = None
    else:
        report, filters, positions, cams, layer = evaluated
        sections += [confusion_section(report), per_class_section(report)]
        if report.threshold is not None and report.scores is not None and len(report.class_names) == 2:
            sections.append(threshold_section(report))
        else:
            sections.append(section("threshold", "Decision threshold", note(
                "This head has no decision threshold: it decides by the highest probability.")))
        sections += [filters_section(filters), mistakes_section(report, positions, cams, layer)]
    sections.append(parity_section(read_parity_files(run.path)))
    written = datetime.now().astimezone().isoformat(timespec="seconds")
    footer = f"Written by CNN Studio {e(__version__)} on {e(written)} from {e(run.path)}."
    return page(f"CNN Studio report: {run.name}", _header(run, config, info, summary, records, best_epoch, report),
                TOC, sections, footer)


def _evaluate(run: RunFolder, split: str, manager: Any | None, limit: int) -> tuple | str:
    """(EvaluationReport, filters, mistake positions, their Grad-CAM maps, layer) or why they cannot be made."""
    try:
        run.checkpoint()  # best, else last (a run stopped before its first best)
    except CNNStudioError as error:
        return str(error)
    from cnnstudio.core.evaluate.evaluation import evaluate
    from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, grad_cam
    from cnnstudio.app.runner import load_run_model, prepare

    try:
        model = load_run_model(run.path, manager=manager)
        _, imageset, _ = prepare(model.config, manager)
        report = evaluate(model, imageset, split=split)
    except CNNStudioError as error:
        return str(error)
    filters = [(name, conv.weight.detach().float().cpu().numpy()) for name, conv in model.model.conv_layers()]
    positions = report.mistakes(limit)
    layer = default_gradcam_layer(model.model)
    cams = None
    if positions:
        images = report.images[positions].float().div(255)  # (n, 3, S, S) in [0, 1]
        cams = grad_cam(model.model, images, layer=layer).numpy()  # explains the predicted (wrong) class
    return report, filters, positions, cams, layer


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
