"""The HTML report's sections, each built from plain data (no model, no torch): config, curves, confusion, per class.

The model-dependent sections (threshold, filters, mistakes, export parity)
are in ``report_model_sections.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from typing import Any

from cnnstudio.core.config import RunConfig
from cnnstudio.core.report.html import e, fmt, note, section, table
from cnnstudio.core.report.svg import Series, line_chart

# Head metrics whose values lie in [0, 1] are drawn together on one chart.
TRAIN_COLOUR, VAL_COLOUR = "#1f77b4", "#d62728"


# ---- config -------------------------------------------------------------------

def config_rows(config: RunConfig, resolved_options: dict[str, Any] | None = None) -> list[tuple[str, str, bool]]:
    """(field, value as text, differs from the default) for every config field, in declaration order.

    Dataset options are listed one per row: those set in the config count as
    changed; the dataset's own defaults (``resolved_options`` from run.json)
    are listed unchanged.
    """
    rows: list[tuple[str, str, bool]] = []
    _flatten(config, RunConfig(), "", rows, resolved_options or {})
    return rows


def _flatten(value: Any, default: Any, prefix: str, rows: list, resolved: dict[str, Any]) -> None:
    for item in fields(value):
        name = f"{prefix}{item.name}"
        current, base = getattr(value, item.name), getattr(default, item.name, None)
        if name == "dataset.options":
            options = {**resolved, **current}
            for key in sorted(options):
                rows.append((f"{name}.{key}", _text(options[key]), key in current and current[key] != resolved.get(key)))
            if not options:
                rows.append((name, "(the dataset's defaults)", False))
        elif name == "model.conv_layers":
            rows.append((name, _conv_layers_text(current), current != base))
        elif is_dataclass(current):
            _flatten(current, base, f"{name}.", rows, resolved)
        else:
            rows.append((name, _text(current), current != base))


def _conv_layers_text(layers: Sequence[Any]) -> str:
    parts = []
    for layer in layers:
        text = f"{layer.out_channels} filters {layer.kernel}x{layer.kernel}"
        if layer.padding >= 0:
            text += f" pad {layer.padding}"
        parts.append(text + (" + pool" if layer.pool else ""))
    return "; ".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, float):
        return f"{value:g}"
    return fmt(value)


CONFIG_GROUPS = (("Dataset and head", ("dataset.", "head.")), ("Model", ("model.",)), ("Training", ("training.",)))


def config_section(config: RunConfig, resolved_options: dict[str, Any] | None = None) -> str:
    rows = config_rows(config, resolved_options)
    groups: dict[str, list[tuple[str, str, bool]]] = {title: [] for title, _ in CONFIG_GROUPS}
    groups["Run"] = []
    for row in rows:
        title = next((t for t, prefixes in CONFIG_GROUPS if row[0].startswith(prefixes)), "Run")
        groups[title].append(row)
    tables = []
    for title, members in groups.items():
        body = "".join(
            f'<tr{" class=changed" if changed else ""}><td>{e(name)}</td><td>{e(value)}</td></tr>'
            for name, value, changed in members
        )
        tables.append(f'<h3>{e(title)}</h3><table class="config"><tbody>{body}</tbody></table>')
    # Three columns: dataset, head and run settings share the first.
    column_one = tables[0] + tables[3]
    layout = f'<div class="config-groups"><div>{column_one}</div><div>{tables[1]}</div><div>{tables[2]}</div></div>'
    changed = sum(1 for _, _, c in rows if c)
    return section(
        "config", "Config",
        layout,
        f"Every setting of this run ({changed} differ from the defaults and are highlighted). "
        "The same settings are in the run folder's config.toml; `cnnstudio train --config` trains it again.",
    )


# ---- curves -------------------------------------------------------------------

def epoch_series(records: Sequence[dict[str, Any]]) -> tuple[list[int], dict[str, list[float]]]:
    """Epoch numbers and each metric's values per epoch (NaN where an epoch lacks it) from metrics.jsonl records."""
    epochs: list[int] = []
    values: dict[str, list[float]] = {}
    for record in records:
        metrics = record.get("metrics")
        if not isinstance(record.get("epoch"), int) or not isinstance(metrics, dict):
            continue
        epochs.append(record["epoch"])
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.setdefault(name, [math.nan] * (len(epochs) - 1))
        for name in values:
            value = metrics.get(name)
            values[name].append(float(value) if isinstance(value, (int, float)) else math.nan)
    return epochs, values


def curves_section(records: Sequence[dict[str, Any]], best_epoch: int | None) -> str:
    epochs, values = epoch_series(records)
    if not epochs:
        return section("curves", "Training curves", note("No finished epoch yet: metrics.jsonl is empty or missing."))
    charts = []
    for title, y_label, train_key, val_key in (("Loss", "loss", "loss", "val_loss"), ("Accuracy", "accuracy", "accuracy", "val_accuracy")):
        series = [
            Series(label, epochs, values[key], colour)
            for label, key, colour in (("train", train_key, TRAIN_COLOUR), ("validation", val_key, VAL_COLOUR))
            if key in values
        ]
        if series:
            charts.append(line_chart(series, title=title, x_label="epoch", y_label=y_label, mark_x=best_epoch,
                                     integer_x=True, y_range=(0.0, 1.0) if y_label == "accuracy" else None))
    extra = [name for name in values if name.startswith("val_") and name not in ("val_loss", "val_accuracy")]
    if extra:
        series = [Series(name, epochs, values[name]) for name in extra]
        charts.append(line_chart(series, title="Validation metrics of the head", x_label="epoch", y_label="value",
                                 mark_x=best_epoch, integer_x=True, y_range=(0.0, 1.0)))
    return section(
        "curves", "Training curves", f'<div class="columns">{"".join(charts)}</div>',
        "Per epoch, on the training images and the held-out validation images; the dashed line marks the best epoch, "
        "whose weights the rest of this report uses. Validation loss rising while training loss falls means over-fitting.",
    )


# ---- confusion and per-class ----------------------------------------------------

def confusion_table(confusion: Sequence[Sequence[int]], class_names: Sequence[str]) -> str:
    """A coloured confusion matrix: rows are the true class, columns the predicted one; shade = share of the row."""
    head = "".join(f"<th>{e(name)}</th>" for name in class_names)
    rows = []
    for true_index, row in enumerate(confusion):
        total = sum(row)
        cells = []
        for predicted_index, count in enumerate(row):
            share = count / total if total else 0.0
            rgb = "46,125,50" if true_index == predicted_index else "198,40,40"
            ink = "#fff" if share > 0.55 else "#1d2330"
            cells.append(
                f'<td style="background: rgba({rgb},{0.08 + 0.85 * share:.3f}); color: {ink}" '
                f'data-true="{true_index}" data-predicted="{predicted_index}">{count}'
                f'<span class="share">{share:.0%}</span></td>'
            )
        rows.append(f"<tr><th>{e(class_names[true_index])}</th>{''.join(cells)}</tr>")
    return (
        '<table class="confusion"><thead><tr><th class="corner">true \u2193 / predicted \u2192</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def confusion_section(report: Any) -> str:
    body = confusion_table(report.confusion, report.class_names)
    decided = "with the saved threshold" if report.threshold is not None else "by the highest probability"
    return section(
        "confusion", "Confusion matrix", body,
        f"{report.num_images} {report.split} images; each row is the images of one true class, each column what the "
        f"model decided ({decided}). Green: right; red: wrong; the percentage is the share of the row. "
        f"Accuracy {fmt(report.accuracy)}.",
    )


def per_class_section(report: Any) -> str:
    rows = [
        (name, stats["precision"], stats["recall"], stats["f1"], int(stats["support"]))
        for name, stats in zip(report.class_names, report.per_class)
    ]
    if rows:
        count = len(rows)
        rows.append((
            "macro average", sum(r[1] for r in rows) / count, sum(r[2] for r in rows) / count,
            sum(r[3] for r in rows) / count, sum(r[4] for r in rows),
        ))
    body = table(("class", "precision", "recall", "F1", "support"), rows, (False, True, True, True, True), "per-class")
    return section(
        "per-class", "Per-class metrics", body,
        "Precision: of the images decided as this class, the share that are. Recall: of the images of this class, "
        "the share found. F1 combines both; support is the number of images of the class.",
    )
