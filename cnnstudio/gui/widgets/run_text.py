"""A training run's outcome, advice and time left, in words for the Train tab (small HTML snippets)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from cnnstudio.gui.widgets import palette

ADVICE_TITLES = {
    "overfitting": "Over-fitting",
    "class_imbalance": "Imbalanced classes",
    "flip_off": "Flips turned off",
    "slow_epoch": "Slow epochs",
}
REASONS = {
    "completed": "Finished all epochs",
    "early_stopped": "Stopped early: the validation score stopped improving",
    "cancelled": "Stopped by you (cancelled); everything done so far is kept",
}
METRIC_NAMES = {
    "loss": "loss", "accuracy": "accuracy", "auc": "AUC", "f1": "F1", "precision": "precision", "recall": "recall",
    "ap50": "AP50", "iou": "IoU", "miou": "mean IoU", "macro_f1": "macro F1",
}
PERCENTAGES = ("accuracy", "precision", "recall")


def threads_text(threads: int) -> str:
    """"1 thread", "2 threads"."""
    return f"{threads} thread{'s' if threads != 1 else ''}"


def eta_text(seconds: float) -> str:
    """"about 1 min 05 s left" (rounded to whole seconds)."""
    seconds = int(round(seconds))
    if seconds >= 60:
        return f"about {seconds // 60} min {seconds % 60:02d} s left"
    return f"about {seconds} s left"


def advice_html(advice: Sequence[Any]) -> str:
    """Advice events as a list: a title per code, then the trainer's message."""
    items = []
    for event in advice:
        title = ADVICE_TITLES.get(event.code, event.code.replace("_", " ").capitalize())
        when = f" (epoch {event.epoch})" if event.epoch else ""
        message = event.message
        if message.lower().startswith(title.lower() + ":"):  # the trainer's message already names it
            message = message[len(title) + 1:].lstrip()
        items.append(f"<b>{escape(title)}{when}:</b> {escape(message)}")
    return "<br>".join(items)


def metric_text(name: str, value: float) -> str:
    """"validation accuracy 93.3%": accuracy-like shares as percentages, losses and scores with three decimals."""
    split, _, key = name.partition("_")
    split_word = {"val": "validation", "test": "test"}.get(split, "")
    if not split_word:
        key = name
    label = METRIC_NAMES.get(key, key.replace("_", " "))
    shown = f"{100 * value:.1f}%" if key in PERCENTAGES else f"{value:.3f}"
    return f"{split_word + ' ' if split_word else ''}{label} {shown}"


def finished_html(reason: str, epochs_run: int, best_epoch: int, metrics: dict[str, float], seconds: float) -> str:
    """The summary of a finished run: why it ended, the best epoch and its validation and test metrics."""
    title = REASONS.get(reason, reason)
    lines = [f"<b>{escape(title)}</b> after {epochs_run} epoch{'s' if epochs_run != 1 else ''} "
             f"in {seconds:.1f} s (reason: {escape(reason)})."]
    if best_epoch:
        lines.append(f"Best epoch: <b>{best_epoch}</b> (its weights are kept as the model).")
    for split in ("val", "test"):
        shown = [metric_text(k, v) for k, v in sorted(metrics.items(), key=_metric_order)
                 if k.startswith(split + "_") and isinstance(v, (int, float))]
        if shown:
            lines.append(escape(", ".join(shown)))
    if reason == "cancelled" and not any(k.startswith("test_") for k in metrics):
        lines.append("<i>No test numbers: the run was stopped before its final evaluation (or has no test split); "
                     "Evaluate computes them.</i>")
    elif not any(k.startswith("test_") for k in metrics):
        lines.append("<i>No test split: the validation numbers chose the best epoch, so they flatter it a little.</i>")
    return "<br>".join(lines)


def failed_html(message: str, run_dir: str, last_checkpoint: str) -> str:
    """A failed run in words, saying where what was saved is."""
    text = f"<b style='color:{palette.ERROR}'>Training failed:</b> {escape(message)}"
    if run_dir and run_dir not in message:
        if last_checkpoint:
            text += f"<br>The last checkpoint is kept in {escape(str(Path(last_checkpoint).parent.parent))}."
        else:
            text += f"<br>The run folder is {escape(run_dir)}."
    return text + "<br>The window is fine: change the settings and start again."


def _metric_order(item: tuple[str, float]) -> tuple[int, str]:
    key = item[0].partition("_")[2]
    order = ("accuracy", "loss")
    return (order.index(key) if key in order else len(order), key)
