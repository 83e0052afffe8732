"""Journey 6: a config saved from the app trains identically from the command line, and a CLI run opens
in the app like one of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from journey_driver import Studio
from PySide6.QtCore import Qt
from user_photos import class_folder_tree

TIMINGS = ("seconds", "images_per_s")  # wall-clock figures differ between any two runs


def _metrics(run: Path) -> list[dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    return [{key: value for key, value in record.items() if key not in TIMINGS} for record in records]


def test_a_config_saved_in_the_app_trains_the_same_run_from_the_cli_and_the_cli_run_opens_in_the_app(
        qtbot, monkeypatch, tmp_path):
    photos = class_folder_tree(tmp_path / "shop photos" / "cats and cups")
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window
    studio.open_folder(photos)
    app_run = Path(studio.train(epochs=2))

    # File > Save run config as... (Ctrl+S), to a folder of the person's choosing.
    saved = tmp_path / "configs" / "cats and cups.toml"
    saved.parent.mkdir()
    studio.dialog_answers.append(str(saved))
    studio.press("Ctrl+S")
    assert saved.exists()
    message = window.statusBar().currentMessage()
    assert f"cnnstudio train --config {saved}" in message

    # The command the status bar suggests, run from another folder, in the same workspace.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "train", "--config", str(saved), "--json", "--no-progress"],
        cwd=elsewhere, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stderr
    cli_run = Path(json.loads(result.stdout.strip().splitlines()[-1])["run_dir"])
    assert cli_run.parent == app_run.parent  # the same workspace
    assert _metrics(cli_run) == _metrics(app_run)  # same seed, same data, same numbers

    # The CLI run is listed in the app's Runs tab and opens like any other.
    runs = studio.tab(window.runs_view)
    studio.click(runs.refresh_button)
    studio.wait_for(lambda: any(values["path"] == str(cli_run) for values in runs.rows))
    row = next(i for i, values in enumerate(runs.rows) if values["path"] == str(cli_run))
    rect = runs.table.visualItemRect(runs.table.item(row, 0))
    qtbot.mouseClick(runs.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(studio.controller.run_opened, timeout=10_000):
        studio.click(runs.open_button)
    assert studio.controller.current_run == str(cli_run)
    assert cli_run.name in window.statusBar().currentMessage()
    evaluation = studio.tab(window.evaluation_view)
    studio.wait_for(lambda: evaluation.report is not None and evaluation.run_dir == str(cli_run))
    assert cli_run.name in evaluation.run_label.text()
    assert not studio.messages, studio.messages
