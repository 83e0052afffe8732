"""Is this folder a run? The check before a run folder from anywhere (copied from a GPU box) is opened.

    run_dir = check_run_folder("~/Downloads/20261205-101500-retail")   # absolute Path, or RunError in words

A run folder holds ``config.toml``, ``run.json`` and weights (``weights/best.safetensors`` or
``weights/last.safetensors``); the message names the folder and each part that is missing, and
points into a folder of runs when one was picked instead of a run.
"""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.errors import RunError
from cnnstudio.core.runs.layout import CONFIG_FILE, INFO_FILE, WEIGHTS

WEIGHT_FILES = tuple(f"weights/{which}.safetensors" for which in WEIGHTS)


def missing_run_parts(folder: Path) -> list[str]:
    """What ``folder`` lacks to be a run folder, in words ([] for a run)."""
    missing = [name for name in (CONFIG_FILE, INFO_FILE) if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append(f"weights ({' or '.join(WEIGHT_FILES)})")
    return missing


def check_run_folder(path: str | Path) -> Path:
    """``path`` as an absolute run folder; RunError naming the folder and what is missing when it is not one."""
    folder = Path(path).expanduser().absolute()
    if not folder.exists():
        raise RunError(f"{folder} does not exist: choose the run folder itself (the one holding config.toml)")
    if not folder.is_dir():
        raise RunError(f"{folder} is a file, not a run folder: choose the folder that holds it")
    missing = missing_run_parts(folder)
    if not missing:
        return folder
    message = f"{folder} is not a CNN Studio run folder: it has no {', no '.join(missing)}."
    try:
        runs = sorted(child.name for child in folder.iterdir() if child.is_dir() and not missing_run_parts(child))
    except OSError:
        runs = []
    if runs:
        message += (f" It holds {len(runs)} run folder{'s' if len(runs) != 1 else ''} ({', '.join(runs[:3])}"
                    f"{', ...' if len(runs) > 3 else ''}): open one of them, or make it the workspace in "
                    f"File > Preferences to list them all in the Runs tab.")
    elif (folder / CONFIG_FILE).is_file() and not (folder / INFO_FILE).is_file():
        message += " A config.toml alone is a run config, not a run: open it with File > Open run config."
    elif INFO_FILE not in missing and CONFIG_FILE not in missing:
        message += " The run saved no checkpoint yet; copy it again once it has trained an epoch."
    raise RunError(message)
