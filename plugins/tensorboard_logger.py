"""TensorBoard logging: a run's losses, metrics and first-layer filters as TensorBoard event files.

Turned on per run by ``training.tensorboard = true`` (the Train tab's "Log to
TensorBoard", ``cnnstudio train --tensorboard``) and only when the
``tensorboard`` package is installed. Files go to ``RUN_DIR/tensorboard``;
view every run side by side with ``tensorboard --logdir RUNS_FOLDER``.

What is written:

- ``batch/train_loss``, ``batch/train_accuracy`` at each batch event (step =
  the global optimizer step),
- ``epoch/<metric>`` for every metric of each epoch (``train_loss``,
  ``val_accuracy``, the head's ``val_auc``, ...) and ``epoch/lr``
  (step = the epoch number),
- ``filters/<first conv layer>``: its filters as one image per snapshot
  (step 0: the random start),
- ``config``: the run's config as text at the start, ``final metrics`` at
  the end.

A resumed run appends a new event file to the same folder; TensorBoard reads
them as one run. Turned on without ``tensorboard`` installed, one warning is
logged (the CLI prints it) and training goes on. SummaryWriter queues events
and writes them on its own thread, so an event costs microseconds; it
flushes on close (run finished or failed) and every ``FLUSH_SECONDS``.
This plugin talks to CNN Studio only through ``cnnstudio.plugin_api``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from cnnstudio.plugin_api import hookimpl

log = logging.getLogger("cnnstudio.tensorboard")

FOLDER = "tensorboard"
FLUSH_SECONDS = 30  # a live `tensorboard` sees new points this often
FILTER_ZOOM = 6  # screen pixels per filter weight in the filter image
INSTALL_HINT = "pip install tensorboard"

# The writer of the run being trained: a training process trains one run at a time.
_writer: Any = None
# A resumed run first shows the filters of the epoch it resumes from, already logged.
_first_snapshot = 0


def tensorboard_missing() -> str:
    """"" when TensorBoard event files can be written, else why not (for people)."""
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except Exception as error:  # ImportError, or a broken install raising anything
        return f"the tensorboard package is not installed ({INSTALL_HINT}): {error}"
    return ""


def _wanted(config: dict[str, Any]) -> bool:
    return bool((config.get("training") or {}).get("tensorboard", False))


def _start(event: Any) -> None:
    global _writer, _first_snapshot
    _close()
    _first_snapshot = event.start_epoch if event.start_epoch > 1 else 0
    if not _wanted(event.config):
        return
    problem = tensorboard_missing()
    if problem:
        log.warning("warning: training.tensorboard is on but %s; training goes on without TensorBoard logging", problem)
        return
    from torch.utils.tensorboard import SummaryWriter

    folder = Path(event.run_dir) / FOLDER
    _writer = SummaryWriter(log_dir=str(folder), flush_secs=FLUSH_SECONDS)
    config = json.dumps(event.config, indent=2, sort_keys=True, default=str)
    text = (f"classes: {', '.join(event.class_names)}; images: {event.num_train} train, {event.num_val} val, "
            f"{event.num_test} test; epochs {event.start_epoch}..{event.epochs} on {event.device}\n\n"
            + "\n".join(f"    {line}" for line in config.splitlines()))  # indented = a code block in Markdown
    _writer.add_text("config", text, global_step=event.start_epoch)


def _close() -> None:
    global _writer
    if _writer is not None:
        writer, _writer = _writer, None
        writer.close()


def filter_grid(weights: Any) -> Any:
    """(out, in, k, k) conv weights -> (H, W, 3) uint8: one tile per filter, each scaled to its own range.

    Filters with 3 input channels are shown in colour, others by their mean over
    the inputs in grey; tiles are enlarged ``FILTER_ZOOM`` times, 1 px apart.
    """
    import numpy as np

    w = np.asarray(weights, dtype=np.float32)
    tiles = w if w.shape[1] == 3 else np.repeat(w.mean(axis=1, keepdims=True), 3, axis=1)
    low = tiles.min(axis=(1, 2, 3), keepdims=True)
    span = np.maximum(tiles.max(axis=(1, 2, 3), keepdims=True) - low, 1e-12)
    tiles = ((tiles - low) / span * 255).astype(np.uint8).transpose(0, 2, 3, 1)  # (out, k, k, 3)
    tiles = tiles.repeat(FILTER_ZOOM, axis=1).repeat(FILTER_ZOOM, axis=2)
    count, size = tiles.shape[0], tiles.shape[1]
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.full((rows * (size + 1) - 1, columns * (size + 1) - 1, 3), 255, dtype=np.uint8)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        grid[row * (size + 1):row * (size + 1) + size, column * (size + 1):column * (size + 1) + size] = tile
    return grid


@hookimpl
def cnnstudio_on_event(event: Any) -> None:
    """Write the run's events to TensorBoard when the run's config turned it on."""
    from cnnstudio.plugin_api import events

    if isinstance(event, events.RunStarted):
        _start(event)
        return
    writer = _writer
    if writer is None:
        return
    if isinstance(event, events.BatchEnded):
        writer.add_scalar("batch/train_loss", event.loss, event.step)
        writer.add_scalar("batch/train_accuracy", event.accuracy, event.step)
    elif isinstance(event, events.EpochEnded):
        for name, value in event.metrics.items():
            writer.add_scalar(f"epoch/{name}", value, event.epoch)
        writer.add_scalar("epoch/lr", event.lr, event.epoch)
    elif isinstance(event, events.Snapshot) and event.filters and event.epoch >= _first_snapshot:
        name, weights = next(iter(event.filters.items()))  # the first conv layer: what its filters look for
        writer.add_image(f"filters/{name}", filter_grid(weights), event.epoch, dataformats="HWC")
    elif isinstance(event, events.RunFinished):
        lines = [f"{event.reason} after epoch {event.epochs_run}; best epoch {event.best_epoch}", ""]
        lines += [f"- {name}: {value:.4f}" for name, value in sorted(event.metrics.items())]
        writer.add_text("final metrics", "\n".join(lines), event.epochs_run)
        _close()
    elif isinstance(event, events.RunFailed):
        writer.add_text("failed", event.message)
        _close()
