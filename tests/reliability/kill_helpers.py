"""The training child a kill -9 loop kills: it trains a run folder, or resumes it when one is there.

It runs in a process forked from a forkserver that has torch imported but never
ran a torch operator (forking a process whose OpenMP pool ran can hang), so
each start costs milliseconds instead of an interpreter and a torch import.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

WRITE_PAUSE_S = 0.02  # widens the windows between the files of one checkpoint


def train_or_resume(config_path: str, run_dir: str, widen_windows: bool) -> None:
    import torch

    from cnnstudio.app.runner import resume_run, train_run
    from cnnstudio.core import atomic
    from cnnstudio.core.config import RunConfig
    from cnnstudio.core.errors import CNNStudioError, ConfigError
    from cnnstudio.core.runs import checkpoint, folder as runs

    torch.set_num_threads(1)
    if widen_windows:
        original = atomic.atomic_write_bytes

        journal = Path(run_dir).parent / "writes.log"

        def slow_write(path: Path, data: bytes) -> None:
            # The journal says whether a kill landed inside a checkpoint: "begin" without "end".
            with open(journal, "a", encoding="utf-8") as handle:
                handle.write(f"begin {path.name}\n")
            time.sleep(WRITE_PAUSE_S)
            original(path, data)
            time.sleep(WRITE_PAUSE_S)
            with open(journal, "a", encoding="utf-8") as handle:
                handle.write("end\n")

        checkpoint.atomic_write_bytes = slow_write
        runs.atomic_write_bytes = slow_write
    try:
        if (Path(run_dir) / "config.toml").exists():
            resume_run(Path(run_dir))
        else:
            train_run(RunConfig.load(config_path), run_dir=Path(run_dir))
    except ConfigError as error:
        if "already trained" not in str(error):
            _refuse(run_dir, error)
    except CNNStudioError as error:  # a refusal in words: allowed, and counted by the test
        _refuse(run_dir, error)
    os._exit(0)


def _refuse(run_dir: str, error: Exception) -> None:
    with open(Path(run_dir).parent / "refusals.txt", "a", encoding="utf-8") as handle:
        handle.write(f"{run_dir}: {error}\n")
    os._exit(2)


def preload_modules() -> list[str]:
    # torch._dynamo: every torch.optim constructor imports it (about a second); it used to come with torchvision,
    # which training no longer imports. Without it most kills would land in that import, not in the run.
    return ["torch", "torch._dynamo", "cnnstudio.app.runner", "cnnstudio.host.manager", "kill_helpers"]
