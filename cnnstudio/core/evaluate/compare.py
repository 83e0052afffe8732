"""Compare runs: their per-epoch curves, the config fields that differ, and their final metrics.

    comparison = compare_runs([run_a, run_b])
    comparison.differences   # [Difference("model.pooling", ("max", "avg")), ...]
    comparison.runs[0].final # {"best_epoch": 4, "val_accuracy": 0.81, "test_accuracy": 0.79, ...}

Configs are flattened to dotted keys (``model.pooling``,
``model.conv_layers[1].out_channels``, ``dataset.options.count``) and only the
keys whose values are not all equal are kept, so the table answers "what did
I change?" at a glance. Everything is read from the run folders' plain files
(config.toml, run.json, metrics.jsonl, summary.json): no torch, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import CNNStudioError, RunError
from cnnstudio.core.runs.folder import RunFolder

MISSING = None  # the value of a key a run's config does not have (e.g. a conv layer the other run lacks)
LABEL_FIELDS = 2  # a run's label names at most this many of its differing values


@dataclass(frozen=True)
class Difference:
    """One config field whose value is not the same in every run: ``values[i]`` is run i's (None: absent)."""

    field: str
    values: tuple[Any, ...]


@dataclass
class RunResult:
    """What one run contributes to a comparison."""

    path: Path
    name: str
    label: str  # short and distinct: the run's differing values ("pooling avg, lr 0.001"), else its name
    status: str  # finished | cancelled | failed | running | unknown
    primary_metric: str  # the head's main score ("accuracy", "f1", ...), as recorded in run.json
    records: list[dict[str, Any]]  # metrics.jsonl: one dict per epoch, values under "metrics"
    final: dict[str, Any]  # best_epoch, epochs_run, epochs_planned, seconds, reason, val_*, test_* metrics
    config: dict[str, Any]  # the flattened config
    val_images: int = 0  # size of the validation split (0: unknown)

    def curve(self, metric: str) -> list[tuple[int, float]]:
        """(epoch, value) for each epoch that recorded ``metric`` ("loss", "val_loss", "val_accuracy", ...)."""
        points = []
        for record in self.records:
            value = (record.get("metrics") or {}).get(metric)
            epoch = record.get("epoch")
            if isinstance(epoch, int) and isinstance(value, (int, float)) and not math.isnan(value):
                points.append((epoch, float(value)))
        return points


@dataclass
class Comparison:
    """The runs compared (in the order given), their config differences, and folders that could not be read."""

    runs: list[RunResult]
    differences: list[Difference]
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # (folder, reason), when skipping damage


def flatten_config(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as dotted keys: ``{"model": {"conv_layers": [{"kernel": 3}]}}`` ->
    ``{"model.conv_layers[0].kernel": 3}``. An empty dict or list stays a value (``head.options: {}``)."""
    flat: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for key, value in data.items():
            flat.update(flatten_config(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data:
        for index, value in enumerate(data):
            flat.update(flatten_config(value, f"{prefix}[{index}]"))
    else:
        flat[prefix] = data
    return flat


def config_differences(configs: Sequence[dict[str, Any]]) -> list[Difference]:
    """The flattened keys whose values are not the same in every config, in first-seen key order."""
    keys: dict[str, None] = {}
    for config in configs:
        keys.update(dict.fromkeys(config))
    rows = []
    for key in keys:
        values = tuple(config.get(key, MISSING) for config in configs)
        if any(not _same(values[0], value) for value in values[1:]):
            rows.append(Difference(key, values))
    return rows


def read_run(path: str | Path) -> RunResult:
    """One run's config, curves and final metrics; RunError naming the folder when it cannot be read."""
    run = RunFolder(path)
    if not run.path.is_dir():
        raise RunError(f"{run.path}: no such run folder")
    try:
        config = run.load_config()
        info = run.read_info()
    except CNNStudioError as error:
        raise RunError(f"{run.path} cannot be compared: {_relative_reason(error, run.path)}") from None
    records = run.read_metrics()
    final = _final_metrics(run, records)
    final["epochs_planned"] = config.training.epochs
    split_sizes = info.get("split_sizes")
    splits = split_sizes if isinstance(split_sizes, dict) else {}
    return RunResult(
        path=run.path, name=run.name, label=run.name, status=str(info.get("status", "unknown")),
        primary_metric=str(info.get("primary_metric", "accuracy")), records=records, final=final,
        config=flatten_config(config.to_dict()), val_images=int(splits.get("val", 0) or 0),
    )


def compare_runs(run_dirs: Sequence[str | Path], skip_damaged: bool = False) -> Comparison:
    """Compare run folders. A damaged one raises RunError naming it, or, with ``skip_damaged``,
    is listed in ``unreadable`` with the reason and left out."""
    if not run_dirs:
        raise RunError("no runs to compare: give at least one run folder")
    runs, unreadable = [], []
    for path in run_dirs:
        try:
            runs.append(read_run(path))
        except RunError as error:
            if not skip_damaged:
                raise
            unreadable.append((Path(path), str(error)))
    differences = config_differences([run.config for run in runs])
    _label(runs, differences)
    return Comparison(runs=runs, differences=differences, unreadable=unreadable)


def primary_value(run: RunResult) -> float | None:
    """The run's best validation value of its head's primary metric (val accuracy for classifiers)."""
    value = run.final.get(f"val_{run.primary_metric}", run.final.get("val_accuracy"))
    return float(value) if isinstance(value, (int, float)) else None


def headline(comparison: Comparison) -> str:
    """One sentence for people: which run scored best on validation, by how much, and whether that is beyond noise."""
    values = [(primary_value(run), run) for run in comparison.runs]
    scored = [(value, run) for value, run in values if value is not None]
    if len(scored) < 2:
        return "Fewer than two runs have validation metrics yet: nothing to compare."
    scored.sort(key=lambda pair: pair[0], reverse=True)
    (best, winner), (second, runner_up) = scored[0], scored[1]
    metric = f"val {winner.primary_metric}"
    sentence = (f"Best {metric}: {best:.3f} for \"{winner.label}\", against {second:.3f} for "
                f"\"{runner_up.label}\" ({best - second:+.3f}).")
    images = min((run.val_images for _, run in scored[:2] if run.val_images), default=0)
    if images and 0 <= second <= best <= 1:
        # The binomial standard error of a difference of two scores on `images` images each: a gap within
        # two of them is what another seed or another split could give just as well.
        noise = 2 * math.sqrt((best * (1 - best) + second * (1 - second)) / images)
        gap = best - second
        if gap <= noise:
            sentence += (f" On {images} validation images a gap up to about {noise:.3f} can be chance: this one "
                         "is within it, so try other seeds or more images before concluding.")
        else:
            sentence += (f" That is beyond chance: on {images} validation images chance alone gives gaps up to "
                         f"about {noise:.3f}.")
    return sentence


@dataclass(frozen=True)
class MetricRow:
    """One row of the final-metrics table: a name, run i's value in ``values[i]`` (None: not recorded),
    and which way is better (+1 higher, -1 lower, 0 neither) so a view can mark the best run."""

    name: str
    values: tuple[Any, ...]
    better: int = 0


def metric_rows(comparison: Comparison) -> list[MetricRow]:
    """The final-metrics table: best validation score and loss, best epoch, test scores, epochs, time."""
    runs = comparison.runs
    primaries = sorted({run.primary_metric for run in runs})
    rows = []
    for metric in dict.fromkeys([*primaries, "accuracy"]):
        rows.append(MetricRow(f"best val {metric}", tuple(run.final.get(f"val_{metric}") for run in runs), +1))
    rows.append(MetricRow("val loss (best epoch)", tuple(run.final.get("val_loss") for run in runs), -1))
    rows.append(MetricRow("best epoch", tuple(run.final.get("best_epoch") for run in runs)))
    for metric in dict.fromkeys([*primaries, "accuracy"]):
        values = tuple(run.final.get(f"test_{metric}") for run in runs)
        if any(v is not None for v in values):
            rows.append(MetricRow(f"test {metric}", values, +1))
    rows.append(MetricRow("epochs", tuple(f"{run.final.get('epochs_run') or 0} / {run.final.get('epochs_planned')}"
                                          for run in runs)))
    rows.append(MetricRow("time (s)", tuple(_seconds_text(run.final.get("seconds")) for run in runs)))
    rows.append(MetricRow("status", tuple(run.status for run in runs)))
    return [row for row in rows if any(v is not None for v in row.values)]


def metric_text(value: Any) -> str:
    """A final metric for a table cell: scores and losses with 4 decimals, absent as "-"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def best_index(row: MetricRow) -> int | None:
    """Which run is best on ``row`` (None when the row has no direction, fewer than two values, or a tie)."""
    numbers = [(v, i) for i, v in enumerate(row.values) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if row.better == 0 or len(numbers) < 2:
        return None
    ranked = sorted(numbers, key=lambda pair: pair[0] * row.better, reverse=True)
    return None if ranked[0][0] == ranked[1][0] else ranked[0][1]


# ---- helpers ----------------------------------------------------------------------

def _final_metrics(run: RunFolder, records: list[dict[str, Any]]) -> dict[str, Any]:
    """summary.json's figures; a run without one (still running, or killed) uses its best epoch so far."""
    try:
        summary = run.read_summary()
    except RunError:
        summary = {}
    final: dict[str, Any] = {}
    metrics = summary.get("metrics") if isinstance(summary.get("metrics"), dict) else None
    if metrics is not None:
        final.update({k: v for k, v in metrics.items() if isinstance(v, (int, float))})
        final.update(best_epoch=summary.get("best_epoch"), epochs_run=summary.get("epochs_run"),
                     seconds=summary.get("seconds"), reason=summary.get("reason"))
        return final
    best = [r for r in records if r.get("is_best")] or records[-1:]
    if best:
        final.update({k: v for k, v in (best[-1].get("metrics") or {}).items()
                      if k.startswith("val_") and isinstance(v, (int, float))})
        final["best_epoch"] = best[-1].get("epoch")
    final["epochs_run"] = max((int(r.get("epoch", 0)) for r in records), default=0)
    seconds = [float(r["seconds"]) for r in records if isinstance(r.get("seconds"), (int, float))]
    final["seconds"] = sum(seconds) if seconds else None
    final["reason"] = None
    return final


def _label(runs: list[RunResult], differences: list[Difference]) -> None:
    """Label each run by its first differing values ("pooling avg, lr 0.001"); the name when labels would clash."""
    shown = [d for d in differences if not d.field.startswith("model.preset")][:LABEL_FIELDS] or differences[:LABEL_FIELDS]
    labels = []
    for index, run in enumerate(runs):
        parts = [f"{_short(d.field)} {value_text(d.values[index])}" for d in shown]
        labels.append(", ".join(parts) if parts else run.name)
    if len(set(labels)) < len(labels):
        labels = [run.name for run in runs]
    for run, label in zip(runs, labels):
        run.label = label


def _short(field_name: str) -> str:
    """``model.conv_layers[1].out_channels`` -> ``conv_layers[1].out_channels``; ``training.lr`` -> ``lr``."""
    head, _, rest = field_name.partition(".")
    return rest if head in ("model", "training", "dataset", "head") and rest else field_name


def value_text(value: Any) -> str:
    """A config value for a table cell: floats without trailing zeros, booleans lower-case, absent as "-"."""
    if value is MISSING:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def _seconds_text(seconds: Any) -> str | None:
    return f"{float(seconds):.1f}" if isinstance(seconds, (int, float)) else None


def _relative_reason(error: Exception, folder: Path) -> str:
    return str(error).replace(f"{folder}/", "").replace(f"{folder}: ", "")
