"""Journey 8: the training process dies (kill -9, a crash, the laptop's battery). The Runs tab says the run
was interrupted and offers what it needs: Resume when epochs are left, Finish when only the final evaluation
is missing, Start again when it never saved a checkpoint."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from journey_driver import Studio
from PySide6.QtCore import Qt
from user_photos import class_folder_tree


def _info(run: Path) -> dict:
    return json.loads((run / "run.json").read_text(encoding="utf-8"))


def _as_a_crash_leaves_it(run: Path) -> None:
    """run.json still says running, for a process that is gone."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    info = _info(run)
    info.update(status="running", pid=child.pid)
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    (run / "status.json").unlink(missing_ok=True)


def _select(studio: Studio, runs, run: Path) -> dict:
    studio.wait_for(lambda: any(values["path"] == str(run) for values in runs.rows))
    row = next(i for i, values in enumerate(runs.rows) if values["path"] == str(run))
    studio.qtbot.mouseClick(runs.table.viewport(), Qt.MouseButton.LeftButton,
                            pos=runs.table.visualItemRect(runs.table.item(row, 0)).center())
    return runs.rows[row]


def _click_and_wait(studio: Studio, button) -> object:
    ended: list[object] = []

    def on_event(event: object) -> None:
        if type(event).__name__ in ("RunFinished", "RunFailed"):
            ended.append(event)

    studio.controller.run_event.connect(on_event)
    studio.click(button)
    studio.wait_for(lambda: bool(ended) and studio.controller.run_state == "idle", timeout=180_000)
    studio.controller.run_event.disconnect(on_event)
    return ended[-1]


def test_killed_runs_are_resumed_finished_or_started_again_from_the_runs_tab(qtbot, monkeypatch, tmp_path):
    photos = class_folder_tree(tmp_path / "photos", per_class=20)
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    studio.open_folder(photos)
    finished = Path(studio.train(epochs=2))

    # A longer run whose training process is killed once its first checkpoint is on disk.
    view = studio.window.train_view
    killed = Path(studio.start_until(30, "CheckpointWritten").path).parent.parent  # RUN/weights/last.safetensors
    for child in multiprocessing.active_children():
        if child.name == "cnnstudio-training":
            os.kill(child.pid, signal.SIGKILL)
    studio.wait_for(lambda: studio.controller.run_state == "idle", timeout=30_000)
    studio.wait_for(lambda: any("stopped unexpectedly" in m for m in studio.messages), timeout=10_000)

    # The same run as a crash right after its last checkpoint leaves it, and one that crashed before any.
    unfinished = tmp_path / "unfinished"
    shutil.copytree(finished, unfinished)
    (unfinished / "summary.json").unlink()
    _as_a_crash_leaves_it(unfinished)
    never_saved = tmp_path / "never-saved"
    never_saved.mkdir()
    for name in ("config.toml", "run.json"):
        shutil.copy(finished / name, never_saved / name)
    _as_a_crash_leaves_it(never_saved)
    runs_root = finished.parent
    for folder in (unfinished, never_saved):
        shutil.move(folder, runs_root / folder.name)
    unfinished, never_saved = runs_root / "unfinished", runs_root / "never-saved"

    runs = studio.tab(studio.window.runs_view)
    studio.click(runs.refresh_button)
    expectations = ((killed, "Resume"), (unfinished, "Finish"), (never_saved, "Start again"))
    for run, label in expectations:
        row = _select(studio, runs, run)
        assert row["Status"] == "interrupted", row
        assert runs.resume_button.text() == label and runs.resume_button.isEnabled()
    studio.snapshot("journey_interrupted_runs")  # the never-saved run selected: "Start again"

    # Resume: the killed run trains its remaining epochs, from its last checkpoint.
    done = len((killed / "metrics.jsonl").read_text().splitlines())
    _select(studio, runs, killed)
    assert type(_click_and_wait(studio, runs.resume_button)).__name__ == "RunFinished"
    epochs = [json.loads(line)["epoch"] for line in (killed / "metrics.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, 31)) and done >= 1
    assert _info(killed)["status"] == "finished"

    # Finish: no epoch is trained again; the summary is written from the best checkpoint.
    _select(studio, runs, unfinished)
    studio.wait_for(lambda: runs.resume_button.text() == "Finish")
    event = _click_and_wait(studio, runs.resume_button)
    assert type(event).__name__ == "RunFinished" and event.epochs_run == 2
    summary = json.loads((unfinished / "summary.json").read_text())
    assert summary["metrics"] == json.loads((finished / "summary.json").read_text())["metrics"]
    assert _info(unfinished)["status"] == "finished"

    # Start again: trained from the start in its own folder, and the window says why.
    _select(studio, runs, never_saved)
    studio.wait_for(lambda: runs.resume_button.text() == "Start again")
    assert type(_click_and_wait(studio, runs.resume_button)).__name__ == "RunFinished"
    assert len((never_saved / "metrics.jsonl").read_text().splitlines()) == 2
    assert (never_saved / "weights" / "best.safetensors").is_file()
    assert "stopped before it saved its first checkpoint" in view.advice_label.text()

    studio.wait_for(lambda: all(v["Status"] == "finished" for v in runs.rows), timeout=20_000)
    studio.close()
