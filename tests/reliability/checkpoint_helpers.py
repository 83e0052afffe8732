"""Runs to tear: a reference run, and copies of a run folder taken at the moments a kill can hit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tiny_runs import tiny_config_toml

from cnnstudio.app.runner import train_run
from cnnstudio.core.config import RunConfig
from cnnstudio.core.events import EpochEnded, Event
from cnnstudio.core.runs.folder import RunFolder

EPOCHS = 4
TIMING_KEYS = ("seconds", "images_per_s")


def tear_config(tmp_path: Path, epochs: int = EPOCHS) -> RunConfig:
    """A tiny retail run, one thread on the CPU (bit-reproducible), constant learning rate."""
    path = tmp_path / "tear.toml"
    path.write_text(tiny_config_toml("retail.products", count=80, size=16, conv_filters=(4, 8), epochs=epochs,
                                     seed=5, test_fraction=0.2), encoding="utf-8")
    return RunConfig.load(path)


def train_with_copies(config: RunConfig, run_dir: Path, copies: Path) -> dict[int, Path]:
    """Train ``config`` into ``run_dir``; at the end of each epoch k (metrics written, checkpoint not yet)
    copy the folder to ``copies/before-k``: epoch k-1 committed, as a kill then leaves it. ``before-(N+1)``
    is the folder after the last checkpoint, without its summary."""
    taken: dict[int, Path] = {}

    def copy_on_epoch_end(event: Event) -> None:
        if isinstance(event, EpochEnded):
            target = copies / f"before-{event.epoch}"
            shutil.copytree(run_dir, target)
            taken[event.epoch] = target

    train_run(config, run_dir=run_dir, observers=[copy_on_epoch_end])
    # After the last checkpoint, before the summary: a kill there leaves this.
    final = copies / f"before-{config.training.epochs + 1}"
    shutil.copytree(run_dir, final)
    (final / "summary.json").unlink()
    taken[config.training.epochs + 1] = final
    return taken


def numbers(run_dir: Path) -> list[dict[str, Any]]:
    """metrics.jsonl without the timings: what must be identical between two runs of one config."""
    records = RunFolder(run_dir).read_metrics()
    return [{k: v for k, v in record.items() if k not in TIMING_KEYS} for record in records]


def same_weights(a: Path, b: Path, which: str = "last") -> bool:
    import torch

    left, right = RunFolder(a).load_weights(which), RunFolder(b).load_weights(which)
    return left.keys() == right.keys() and all(torch.equal(left[k], right[k]) for k in left)


def mark_killed(run_dir: Path) -> None:
    """Make run.json say what a kill -9 leaves: status running, by a process that is gone."""
    run = RunFolder(run_dir)
    info = run.read_info()
    info.update(status="running", pid=_dead_pid())
    run.file("run.json").write_text(json.dumps(info), encoding="utf-8")
    run.file("status.json").unlink(missing_ok=True)


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
