"""Printing helpers for the CLI: the training progress observer and plain-text tables.

Nothing here imports torch at module level, so ``cnnstudio --help`` and
``cnnstudio plugins`` stay fast. Human-readable output goes to stdout; with
``--json`` the commands print one JSON object as the last stdout line and
send progress to stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO


def fmt_number(value: Any, digits: int = 4) -> str:
    """A metric for people: floats rounded, NaN and None as "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def fmt_percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * float(value):.1f}%"


def json_line(data: Any) -> str:
    """One line of JSON; NaN becomes null so any JSON parser reads it."""
    return json.dumps(_json_safe(data), sort_keys=False)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, tensors
        return _json_safe(value.tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    return value


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """An aligned plain-text table; columns listed in ``right`` are right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [row[i].rjust(widths[i]) if i in right else row[i].ljust(widths[i]) for i in range(len(row))]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


class TrainingPrinter:
    """An observer that prints a training run's events.

    A tqdm bar per epoch (batches, loss, images/s) on stderr, one line per
    epoch and the advice on ``out`` (stdout, or stderr with ``--json``).
    """

    def __init__(self, out: TextIO, err: TextIO | None = None, progress: bool = True) -> None:
        self.out = out
        self.err = err or sys.stderr
        self.progress = progress
        self._bar: Any = None
        self._bar_epoch = 0

    def __call__(self, event: Any) -> None:
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.clear()
        print(text, file=self.out, flush=True)

    def _on_RunStarted(self, event: Any) -> None:
        classes = ", ".join(event.class_names)
        split = f"{event.num_train} train / {event.num_val} val / {event.num_test} test images"
        self._say(f"Run folder: {event.run_dir}")
        self._say(f"Training on {split}, {len(event.class_names)} classes ({classes})")
        threads = f"{event.threads} thread{'s' if event.threads != 1 else ''}"
        self._say(f"Device {event.device}, {threads}; epochs {event.start_epoch}..{event.epochs}")
        if event.skipped_files:
            self._say(f"warning: skipped {len(event.skipped_files)} file(s) that could not be used:")
            for path, reason in event.skipped_files:
                self._say(f"  {path}: {reason}")

    def _on_BatchEnded(self, event: Any) -> None:
        if not self.progress:
            return
        if self._bar is None or self._bar_epoch != event.epoch:
            self.close()
            from tqdm import tqdm

            self._bar_epoch = event.epoch
            self._bar = tqdm(
                total=event.num_batches, desc=f"epoch {event.epoch}", unit="batch",
                file=self.err, leave=False, dynamic_ncols=True,
            )
        self._bar.set_postfix_str(f"loss {event.loss:.4f}, {event.images_per_s:.0f} img/s", refresh=False)
        self._bar.update(event.batch - self._bar.n)

    def _on_EpochEnded(self, event: Any) -> None:
        self.close()
        m = event.metrics
        parts = [
            f"epoch {event.epoch}/{event.epochs}",
            f"loss {fmt_number(m.get('loss'))}",
            f"acc {fmt_percent(m.get('accuracy'))}",
            f"val_loss {fmt_number(m.get('val_loss'))}",
            f"val_acc {fmt_percent(m.get('val_accuracy'))}",
            f"lr {event.lr:.2e}",
            f"{event.seconds:.1f}s",
            f"{event.images_per_s:.0f} img/s",
        ]
        self._say("  ".join(parts) + ("  *best" if event.is_best else ""))

    def _on_Advice(self, event: Any) -> None:
        self._say(f"warning: epoch {event.epoch}: {event.message}")

    def _on_RunFailed(self, event: Any) -> None:
        self.close()


def finished_summary(finished: Any) -> dict[str, Any]:
    """The JSON object ``train`` and ``resume`` print last with ``--json``."""
    metrics = dict(finished.metrics)
    return {
        "run_dir": str(finished.run_dir),
        "reason": finished.reason,
        "epochs": finished.epochs_run,
        "best_epoch": finished.best_epoch,
        "val_accuracy": metrics.get("val_accuracy"),
        "test_accuracy": metrics.get("test_accuracy"),
        "seconds": finished.seconds,
        "metrics": metrics,
    }


def format_finished(finished: Any) -> str:
    summary = finished_summary(finished)
    lines = [
        f"Finished ({summary['reason']}) after {summary['epochs']} epochs in {summary['seconds']:.1f}s; "
        f"best epoch {summary['best_epoch']}",
        f"  val accuracy  {fmt_percent(summary['val_accuracy'])}",
        f"  test accuracy {fmt_percent(summary['test_accuracy'])}",
    ]
    others = {k: v for k, v in summary["metrics"].items() if k not in ("val_accuracy", "test_accuracy")}
    if others:
        lines.append("  " + ", ".join(f"{k} {fmt_number(v)}" for k, v in sorted(others.items())))
    lines.append(f"Run folder: {summary['run_dir']}")
    return "\n".join(lines)


def format_evaluation(report: dict[str, Any]) -> str:
    """Accuracy, the confusion matrix and per-class precision/recall/F1/support."""
    names = [str(n) for n in report.get("class_names", [])]
    lines = []
    title = f"Evaluation of {report.get('run_dir', 'run')}"
    if report.get("split"):
        title += f" on the {report['split']} split"
    if report.get("num_images") is not None:
        title += f" ({report['num_images']} images)"
    lines.append(title)
    lines.append(f"accuracy {fmt_percent(report.get('accuracy'))}")
    if report.get("loss") is not None:
        lines[-1] += f"   loss {fmt_number(report['loss'])}"
    auc = report.get("roc_auc", report.get("auc"))
    if auc is not None:
        lines.append(f"ROC AUC {fmt_number(auc)} (class {names[1] if len(names) > 1 else 1} as positive)")
    confusion = report.get("confusion") or report.get("confusion_matrix")
    if confusion:
        lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
        header = ["true \\ predicted", *names]
        rows = [[names[i] if i < len(names) else str(i), *row] for i, row in enumerate(confusion)]
        lines.append(table(header, rows, right=range(1, len(header))))
    per_class = report.get("per_class")
    if per_class:
        lines += ["", "per class"]
        rows = []
        if isinstance(per_class, dict):
            per_class = [{"class": name, **row} for name, row in per_class.items()]
        for index, entry in enumerate(per_class):
            name = entry.get("class", names[index] if index < len(names) else str(index))
            rows.append([
                name, fmt_number(entry.get("precision"), 3), fmt_number(entry.get("recall"), 3),
                fmt_number(entry.get("f1"), 3), entry.get("support", "-"),
            ])
        lines.append(table(["class", "precision", "recall", "F1", "support"], rows, right=(1, 2, 3, 4)))
    return "\n".join(lines)


def format_prediction(entry: dict[str, Any]) -> str:
    """One line per image: the decision, with the score against the threshold, and the box or hotspot
    (a head that finds every object: then one line per box at or above the threshold)."""
    probabilities = ", ".join(f"{name} {fmt_percent(p)}" for name, p in entry["probabilities"].items())
    if "score" not in entry:
        return f"{entry['file']}: {entry['class']} ({probabilities})"
    score, threshold = entry["score"], entry.get("threshold")
    if threshold is None:
        decision = f"score {score:.3f}"
    else:
        decision = f"score {score:.3f} {'>=' if score >= threshold else '<'} threshold {threshold:.3f}"
    line = f"{entry['file']}: {entry['class']}, {decision}"
    if "boxes" in entry:
        return line + f" ({probabilities})" + _box_lines(entry["boxes"], threshold)
    if entry["index"] != 0 and "box" in entry:
        x0, y0, x1, y1 = entry["box"]
        line += f", box ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) px"
    elif entry["index"] != 0 and ("peak" in entry or "hotspot" in entry):
        x, y = entry.get("peak", entry.get("hotspot"))  # the map's strongest point, in the file's pixels
        line += f", strongest at ({x:.0f}, {y:.0f}) px"
    return line + f" ({probabilities})"


def _box_lines(boxes: list[dict[str, Any]], threshold: float | None) -> str:
    """One indented line per box at or above ``threshold`` (every box without one), then how many are weaker."""
    strong = [b for b in boxes if threshold is None or b["score"] >= threshold]
    lines = [f"\n  {b['class']} {b['score']:.3f}: ({b['box'][0]:.0f}, {b['box'][1]:.0f})-({b['box'][2]:.0f}, "
             f"{b['box'][3]:.0f}) px" for b in strong]
    weaker = boxes[len(strong):]
    if weaker:
        lines.append(f"\n  ({len(weaker)} weaker below the threshold, down to {weaker[-1]['score']:.3f}; --json lists them)")
    return "".join(lines)


def format_plugins(description: list[dict[str, Any]], failures: list[Any], verbose: bool) -> str:
    lines = []
    for plugin in description:
        flags = [flag for flag in ("layouts", "observer") if plugin.get(flag)]
        version = f" {plugin['version']}" if plugin.get("version") else ""
        status = "" if plugin.get("status", "ok") == "ok" else f"  ({plugin['status']})"
        lines.append(f"{plugin.get('name')}{version}  [{plugin.get('origin', '?')}]  {plugin.get('location', '')}{status}".rstrip())
        if plugin.get("datasets"):
            lines.append(f"    datasets: {', '.join(plugin['datasets'])}")
        if plugin.get("heads"):
            lines.append(f"    heads:    {', '.join(plugin['heads'])}")
        if flags:
            lines.append(f"    also:     {', '.join('folder layouts' if f == 'layouts' else 'event observer' for f in flags)}")
    if failures:
        lines += ["", f"{len(failures)} plugin failure(s):"]
        for failure in failures:
            lines.append(f"  {failure.plugin} [{failure.origin}] {failure.location} ({failure.hook}): {failure.message}")
            if verbose and failure.traceback:
                lines += ["      " + line for line in failure.traceback.rstrip().splitlines()]
        if not verbose:
            lines.append("  (run with --verbose for the full tracebacks)")
    return "\n".join(lines)


def format_datasets(specs: dict[str, Any]) -> str:
    lines = []
    for spec in specs.values():
        lines.append(f"{spec.id}  ({spec.domain}, {spec.task})  {spec.title}")
        if spec.options:
            opts = ", ".join(f"{o.name}={o.default}" for o in spec.options)
            lines.append(f"    options: {opts}")
    if lines:
        lines.append("")
    lines.append("A folder path works too: a folder per class, MVTec-AD or YOLO layouts (see cnnstudio plugins).")
    return "\n".join(lines)
