"""Fixtures for the CLI tests: one tiny trained run, shared by the module, and helpers.

The run is trained once through a real ``python -m cnnstudio train`` process
(so its exit code and output are the real ones) on 200 generated 16x16 retail
images with a two-layer model, one epoch, one thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from tiny_runs import tiny_config_toml

REPO = Path(__file__).resolve().parents[2]

TINY_CONFIG = tiny_config_toml("retail.products", seed=3, count=200, size=16, batch_size=32, test_fraction=0.2,
                               extra_toml="val_fraction = 0.2\n")


def cli_env(base: Path) -> dict[str, str]:
    """The environment for a CLI subprocess: user folders inside ``base``."""
    env = dict(os.environ)
    env.update(
        CNNSTUDIO_RUNS_DIR=str(base / "runs"),
        CNNSTUDIO_CACHE_DIR=str(base / "cache"),
        XDG_DATA_HOME=str(base / "data"),
        XDG_CACHE_HOME=str(base / "xdg-cache"),
        XDG_STATE_HOME=str(base / "state"),
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        OMP_NUM_THREADS="1",
    )
    env.pop("CNNSTUDIO_DEBUG", None)
    return env


def run_cli(args: list[str], base: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m cnnstudio ARGS`` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "cnnstudio", *args], cwd=base, env=cli_env(base),
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(name="run_cli")
def run_cli_fixture():
    """The ``run_cli(args, base)`` helper, for tests (they cannot import conftest)."""
    return run_cli


@dataclass
class TrainedRun:
    run_dir: Path
    result: dict  # the JSON object on the last stdout line of `train --json`
    process: subprocess.CompletedProcess
    config_file: Path


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli-config") / "tiny.toml"
    path.write_text(TINY_CONFIG, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_config) -> TrainedRun:
    """One tiny run trained by ``cnnstudio train --json`` (reused by every test that needs a run)."""
    base = tmp_path_factory.mktemp("cli-trained")
    process = run_cli(["train", "--config", str(tiny_config), "--out", str(base / "my-runs"), "--json"], base)
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(process.stdout.strip().splitlines()[-1])
    return TrainedRun(Path(result["run_dir"]), result, process, tiny_config)


@pytest.fixture
def sample_png(tmp_path) -> Path:
    """A real 20x20 RGB PNG written with Pillow."""
    from PIL import Image

    path = tmp_path / "sample product.png"
    image = Image.new("RGB", (20, 20), (200, 40, 40))
    for x in range(5, 15):
        for y in range(5, 15):
            image.putpixel((x, y), (20, 20, 220))
    image.save(path)
    return path
