"""Journey 5: quit and start the app again. The opened folder comes back, the Runs tab reopens every run,
and a run stopped early resumes from the app to its planned epochs."""

from __future__ import annotations

import json
from pathlib import Path

from journey_driver import Studio
from PySide6.QtCore import Qt
from user_photos import class_folder_tree


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]


def test_restart_brings_back_the_folder_and_runs_and_a_stopped_run_resumes(qtbot, monkeypatch, tmp_path):
    photos = class_folder_tree(tmp_path / "Bilder" / "Katze oder Kaffee", per_class=30)
    home = tmp_path / "home"
    studio = Studio.open(qtbot, monkeypatch, home)
    studio.open_folder(photos)
    finished = Path(studio.train(epochs=2))

    # A long run, stopped with Ctrl+. once its first epoch is on screen.
    studio.start_until(40, "EpochEnded")
    studio.press("Ctrl+.")
    studio.wait_for(lambda: studio.controller.run_state == "idle", timeout=30_000)
    stopped = Path(studio.controller.current_run)
    assert stopped != finished
    info = json.loads((stopped / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "cancelled"
    done = len(_metrics(stopped))
    assert 1 <= done < 40
    studio.close()

    # Start again with the same settings folder: the opened folder is the loaded dataset.
    studio = Studio.open(qtbot, monkeypatch, home)
    window = studio.window
    assert studio.controller.spec.id == f"folder:{photos}"
    assert len(studio.controller.imageset) == 60
    panel = window.dataset_panel
    assert panel.loaded_key == f"folder:{photos}" and panel.tree.currentItem().font(0).bold()

    # The Runs tab lists both runs and reopens each with a double-click.
    runs = studio.tab(window.runs_view)
    studio.wait_for(lambda: len(runs.rows) == 2)
    for row, values in enumerate(list(runs.rows)):
        rect = runs.table.visualItemRect(runs.table.item(row, 0))
        qtbot.mouseClick(runs.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click's press
        with qtbot.waitSignal(studio.controller.run_opened, timeout=10_000):
            qtbot.mouseDClick(runs.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert studio.controller.current_run == values["path"]
        assert Path(values["path"]).name in window.statusBar().currentMessage()

    # Resume the stopped run from the Runs tab: it finishes its 40 epochs in its own folder.
    row = next(i for i, values in enumerate(runs.rows) if values["path"] == str(stopped))
    qtbot.mouseClick(runs.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=runs.table.visualItemRect(runs.table.item(row, 0)).center())
    assert runs.resume_button.isEnabled()
    ended: list[object] = []
    studio.controller.run_event.connect(
        lambda event: ended.append(event) if type(event).__name__ in ("RunFinished", "RunFailed") else None)
    studio.click(runs.resume_button)
    studio.wait_for(lambda: bool(ended) and studio.controller.run_state == "idle", timeout=180_000)
    assert type(ended[-1]).__name__ == "RunFinished", getattr(ended[-1], "message", "")
    records = _metrics(stopped)
    assert [r["epoch"] for r in records] == list(range(1, 41))
    assert json.loads((stopped / "run.json").read_text(encoding="utf-8"))["status"] == "finished"
    studio.wait_for(lambda: any(v["path"] == str(stopped) and v["Status"] == "finished" for v in runs.rows))
    assert not studio.messages, studio.messages
