"""Journey: from the app to torchrun. Train > Train with torchrun... writes the settings as run.toml and shows
the command; Copy puts it on the clipboard; the copied line trains on 2 CPU processes; the run folder,
copied elsewhere as from a GPU machine, opens with File > Open run folder... and shows what it is."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from journey_driver import Studio
from PySide6.QtWidgets import QApplication
from safetensors.torch import load_file
from tiny_runs import tiny_config_toml

from cnnstudio.core.config import RunConfig
from cnnstudio.core.runs.folder import RunFolder


def settings_saved_earlier(folder: Path) -> Path:
    """A small CPU config a person saved before (retail photos, 60 images of 16 px, 2 epochs).

    Average pooling, SGD and no augmentation keep this tiny model out of the chaotic regime where
    rounding alone (1 thread against 2) moves the weights by 1e-2, so "the same model" can be checked
    to 1e-4 (see tests/torchrun/test_torchrun_parity.py).
    """
    folder.mkdir(parents=True)
    path = folder / "small retail.toml"
    text = tiny_config_toml("retail.products", count=60, size=16, epochs=2, batch_size=16, pooling="avg",
                            extra_toml='optimizer = "sgd"\nlr = 0.02\naugment_flip = false\naugment_shift = false\n')
    path.write_text(text.replace("[model]\n", '[model]\nglobal_pool = "avg"\n'), encoding="utf-8")
    return path


def weights_of(run: Path) -> dict:
    return load_file(run / "weights" / "last.safetensors")


def copy_the_torchrun_line(studio: Studio, tmp_path: Path) -> tuple[list[str], Path]:
    """Open the small config, Train > Train with torchrun..., 2 processes, Copy: the copied argv and the runs folder."""
    studio.dialog_answers.append(str(settings_saved_earlier(tmp_path / "configs")))
    with studio.qtbot.waitSignal(studio.controller.dataset_loaded, timeout=60_000):
        studio.press("Ctrl+Shift+O")
    studio.trigger("Train", "Train with torchrun")
    dialog = studio.window.torchrun_dialog
    studio.wait_for(dialog.isVisible, timeout=10_000)
    studio.type_into(dialog.processes, 2)
    with studio.qtbot.waitSignal(dialog.copied, timeout=10_000):
        studio.click(dialog.single_copy)
    copied = QApplication.clipboard().text()
    assert copied == dialog.single_text.toPlainText()
    studio.snapshot("journey_torchrun", dialog)
    argv = shlex.split(copied)
    runs = Path(os.environ["CNNSTUDIO_RUNS_DIR"])
    assert argv[:6] == ["torchrun", "--standalone", "--nproc-per-node", "2", "-m", "cnnstudio"]
    assert argv[argv.index("--out") + 1] == str(runs)
    # The run.toml is written where the dialog says, with the settings on screen, and the line names it.
    config = Path(argv[argv.index("--config") + 1])
    assert config == runs / "run.toml" and str(config) in dialog.config_status.text()
    assert RunConfig.load(config) == studio.controller.config.validate()
    assert "Batch size 16 in all: 8 per process" in dialog.batch_label.text()
    dialog.close()
    return argv, runs


def test_the_train_menu_writes_run_toml_and_copies_the_torchrun_line_that_names_it(qtbot, monkeypatch, tmp_path):
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    copy_the_torchrun_line(studio, tmp_path)
    assert not studio.messages, studio.messages


def test_the_copied_line_trains_on_two_processes_and_the_run_opens_from_anywhere(qtbot, monkeypatch, tmp_path):
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window
    argv, runs = copy_the_torchrun_line(studio, tmp_path)

    # Pasted into a terminal: torchrun is `python -m torch.distributed.run`, run from another folder.
    elsewhere = tmp_path / "terminal"
    elsewhere.mkdir()
    launcher = [sys.executable, "-m", "torch.distributed.run"]
    result = subprocess.run(launcher + argv[1:] + ["--no-progress"], cwd=elsewhere, capture_output=True, text=True,
                            env=dict(os.environ), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [path for path in runs.iterdir() if path.is_dir()]  # rank 0 alone wrote one run folder
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["world_size"] == 2

    # Start in the app trains the same settings on one process: the same model, step for step.
    in_app = Path(studio.train())
    assert [m["step"] for m in RunFolder(in_app).read_metrics()] == [m["step"] for m in RunFolder(run).read_metrics()]
    app_weights, torchrun_weights = weights_of(in_app), weights_of(run)
    assert app_weights.keys() == torchrun_weights.keys()
    assert max((app_weights[k].double() - torchrun_weights[k].double()).abs().max().item() for k in app_weights) < 1e-4

    # It appears in the Runs tab of this workspace.
    runs_view = studio.tab(window.runs_view)
    studio.click(runs_view.refresh_button)
    studio.wait_for(lambda: sorted(values["path"] for values in runs_view.rows) == sorted([str(run), str(in_app)]))

    # Copied back from "the GPU box" to Downloads: first the folder around it (a mistake), then the run itself.
    downloads = tmp_path / "Downloads" / "from gpu box"
    shutil.copytree(run, downloads / run.name)
    studio.dialog_answers.append(str(downloads))
    studio.trigger("File", "Open run folder")
    studio.wait_for(lambda: bool(studio.messages))
    assert f"{downloads} is not a CNN Studio run folder" in studio.messages[0]
    assert f"It holds 1 run folder ({run.name})" in studio.messages[0]
    studio.messages.clear()

    copied = downloads / run.name
    studio.dialog_answers.append(str(copied))
    with qtbot.waitSignal(studio.controller.run_opened, timeout=10_000):
        studio.trigger("File", "Open run folder")
    assert studio.controller.current_run == str(copied)
    assert window.tabs.currentWidget() is window.train_view
    status = window.statusBar().currentMessage()
    assert f"Opened run {run.name}" in status and "2 epochs" in status and "trained by 2 torchrun processes" in status
    train = window.train_view
    assert train.progress.format().startswith(f"{run.name}: 2 epochs")
    assert "accuracy" in train.summary_label.text().lower()
    evaluation = studio.tab(window.evaluation_view)
    studio.wait_for(lambda: evaluation.report is not None and evaluation.run_dir == str(copied))
    assert run.name in evaluation.run_label.text() and "by 2 torchrun processes" in evaluation.run_label.text()
    assert not studio.messages, studio.messages
