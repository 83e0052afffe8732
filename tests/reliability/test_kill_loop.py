"""kill -9 at random moments, many times, including inside checkpoint writes: every run either ends with the
uninterrupted run's exact numbers and weights, or is refused in words. No silent divergence."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal

import pytest
from checkpoint_helpers import numbers, same_weights, tear_config
from kill_helpers import preload_modules, train_or_resume

from cnnstudio.app.runner import train_run
from cnnstudio.core.runs.folder import RunFolder

pytestmark = pytest.mark.slow
KILLS = 50


def test_fifty_kills_never_diverge_silently(tmp_path):
    config = tear_config(tmp_path)
    config_path = tmp_path / "tear.toml"
    reference = tmp_path / "reference"
    train_run(config, run_dir=reference)

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload_modules())
    rng = random.Random(20261205)
    journal = tmp_path / "writes.log"
    kills, finished, refused, starts, inside_writes = 0, 0, 0, 0, 0
    while kills < KILLS:
        run_dir = tmp_path / f"killed-{finished + refused}"
        attempt = 0
        while True:
            # Early kills land in start-up; later ones reach further, so every run ends.
            delay = rng.uniform(0.0, 0.4 + 0.25 * attempt)
            child = context.Process(target=train_or_resume, args=(str(config_path), str(run_dir), rng.random() < 0.5))
            child.start()
            starts += 1
            child.join(delay)
            if child.is_alive():
                os.kill(child.pid, signal.SIGKILL)
                child.join()
                kills += 1
                lines = journal.read_text().splitlines() if journal.exists() else []
                inside_writes += bool(lines) and lines[-1].startswith("begin")
                journal.unlink(missing_ok=True)
                attempt += 1
                continue
            break
        if child.exitcode == 2:
            refused += 1
            continue
        assert child.exitcode == 0, f"{run_dir}: the child failed with exit code {child.exitcode}"
        assert RunFolder(run_dir).status == "finished", f"{run_dir} ended as {RunFolder(run_dir).status}"
        assert numbers(run_dir) == numbers(reference), f"{run_dir} diverged from the uninterrupted run"
        assert same_weights(run_dir, reference, "best") and same_weights(run_dir, reference, "last")
        assert RunFolder(run_dir).read_summary()["metrics"] == RunFolder(reference).read_summary()["metrics"]
        finished += 1
    refusals = (tmp_path / "refusals.txt").read_text() if refused else ""
    print(f"{kills} kills over {starts} starts ({inside_writes} inside checkpoint writes): "
          f"{finished} runs finished identical, {refused} refused")
    assert finished >= 3, f"too few runs reached the end to judge ({finished}); refusals:\n{refusals}"
    assert refused == 0, f"runs refused after a kill:\n{refusals}"
    assert inside_writes >= 5, f"only {inside_writes} of {kills} kills landed inside a checkpoint write"
