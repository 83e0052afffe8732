"""A label file being saved when the process is killed (SIGKILL) is always whole: the old labels or the new."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labels_helpers import crash_sets

from cnnstudio.core.labels.label_file import LABEL_FILE_NAME, labels_to_json, read_label_file

HERE = Path(__file__).resolve().parent
RANDOM_KILLS = 5
MID_WRITE_KILLS = 3  # kills that leave a half-written temporary file, tried up to MID_WRITE_TRIES times
MID_WRITE_TRIES = 20


def temporary_files(folder: Path) -> list[str]:
    """The atomic write's temporary files in ``folder`` (one is there while a save is in progress)."""
    with os.scandir(folder) as entries:
        return [entry.name for entry in entries if entry.name.startswith(f".{LABEL_FILE_NAME}.")]


def kill_while_writing(folder: Path, child: subprocess.Popen) -> None:
    """SIGKILL ``child`` as soon as a new temporary file appears: in the middle of writing it."""
    before = set(temporary_files(folder))
    deadline = time.monotonic() + 20
    while not set(temporary_files(folder)) - before and time.monotonic() < deadline:
        pass
    os.kill(child.pid, signal.SIGKILL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killing_a_process_mid_save_never_leaves_a_broken_label_file(tmp_path):
    first, second = crash_sets(tmp_path)
    expected = [labels_to_json(first), labels_to_json(second)]
    assert len(json.dumps(expected[0])) > 1_000_000  # large enough that a write takes a while
    child_code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import labels_helpers; " \
                 f"labels_helpers.write_alternately({str(tmp_path)!r})"
    chance = random.Random(14)
    for number in range(RANDOM_KILLS + MID_WRITE_TRIES):
        if number >= RANDOM_KILLS and len(temporary_files(tmp_path)) >= MID_WRITE_KILLS:
            break
        child = subprocess.Popen([sys.executable, "-c", child_code], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            if number < RANDOM_KILLS:
                time.sleep(chance.uniform(0.0, 0.4))
                os.kill(child.pid, signal.SIGKILL)
            else:
                kill_while_writing(tmp_path, child)
            assert child.wait(timeout=30) == -signal.SIGKILL  # killed while still writing, not finished
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        saved = read_label_file(tmp_path, first.images)
        assert saved is not None
        assert labels_to_json(saved) in expected
        assert json.loads((tmp_path / LABEL_FILE_NAME).read_text(encoding="utf-8")) in expected
    # Kills did land mid-write: their half-written temporary files are left beside the label file.
    assert temporary_files(tmp_path)
