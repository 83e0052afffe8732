"""Helpers of the commands that take a run folder (``RUN_DIR``)."""

from __future__ import annotations

import sys
from pathlib import Path

from cnnstudio.core.errors import RunError


def existing_run_dir(text: str) -> Path:
    """``text`` as a path to an existing folder, or RunError naming it."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise RunError(f"{path}: run folder not found")
    return path


def say_checkpoint_note(note: str) -> None:
    """Tell people (on stderr, so ``--json`` output stays one line) which checkpoint stands in for best."""
    if note:
        print(f"cnnstudio: note: {note}", file=sys.stderr)


def check_run_model(run_dir: Path) -> None:
    """Load the run's model once, for its checks alone: weights that do not fit the model in config.toml,
    or hold NaN or infinite values, raise RunError naming the file (so threshold refuses them as predict does)."""
    from cnnstudio.app.runner import load_run_model

    load_run_model(run_dir)
