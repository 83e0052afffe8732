"""Train > Train with torchrun...: the run.toml written with the current settings, the commands for one machine
and for several, Copy; File > Open run folder... opens a run from anywhere and refuses what is not one."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace

from PySide6.QtWidgets import QApplication
from tiny_runs import train_tiny_run

from cnnstudio.core.config import RunConfig


def open_dialog(window):
    action = next(action for menu in window.menuBar().actions() if menu.text() == "&Train"
                  for action in menu.menu().actions() if action.text() == "Train &with torchrun...")
    action.trigger()
    return window.torchrun_dialog


def test_the_dialog_writes_the_settings_and_shows_both_commands(window, tmp_path):
    controller = window.controller
    controller.set_config(replace(controller.config, training=replace(controller.config.training, batch_size=48)))
    dialog = open_dialog(window)
    written = tmp_path / "runs" / "run.toml"
    assert dialog.written_path == written and str(written) in dialog.config_status.text()
    assert RunConfig.load(written).training.batch_size == 48

    dialog.processes.setValue(3)
    single = shlex.split(dialog.single_text.toPlainText())
    assert single[:4] == ["torchrun", "--standalone", "--nproc-per-node", "3"]
    assert single[single.index("--config") + 1] == str(written)
    assert single[single.index("--out") + 1] == str(tmp_path / "runs")
    assert "Batch size 48 in all: 16 per process on one machine" in dialog.batch_label.text()

    dialog.machines.setValue(5)
    dialog.host.setText("gpu-box-1")
    dialog.port.setValue(29500)
    several = shlex.split(dialog.multi_text.toPlainText())
    assert several[:4] == ["torchrun", "--nnodes", "5", "--nproc-per-node"]
    assert several[several.index("--rdzv-endpoint") + 1] == "gpu-box-1:29500"
    assert "about 3.2 on 5 machines (15 processes)" in dialog.batch_label.text()
    for widget in (dialog.processes, dialog.device, dialog.machines, dialog.host, dialog.port, dialog.config_path,
                   dialog.runs_dir, dialog.single_copy, dialog.multi_copy, dialog.batch_label):
        assert widget.toolTip(), widget
    assert all(words in dialog.intro.text() for words in ("PyTorch's launcher", "Batch size is global", "Runs",
                                                          "does <b>not</b> start these commands"))


def test_copy_writes_the_current_settings_again_and_puts_the_line_on_the_clipboard(window, qtbot):
    dialog = open_dialog(window)
    controller = window.controller
    controller.set_config(replace(controller.config, training=replace(controller.config.training, epochs=7)))
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    with qtbot.waitSignal(dialog.copied) as copied:
        dialog.single_copy.click()
    assert QApplication.clipboard().text() == copied.args[0] == dialog.single_text.toPlainText()
    assert shlex.split(copied.args[0])[-2:] == ["--device", "cpu"]
    assert RunConfig.load(dialog.written_path).training.epochs == 7
    assert "Copied" in dialog.status.text()


def test_on_a_gpu_machine_the_dialog_offers_one_process_per_gpu_on_cuda(window, monkeypatch):
    import cnnstudio.gui.dialogs.torchrun_dialog as torchrun_dialog

    monkeypatch.setattr(torchrun_dialog, "local_gpu_count", lambda: 4)
    dialog = open_dialog(window)
    assert dialog.processes.value() == 4 and dialog.device.currentData() == "cuda"
    assert shlex.split(dialog.single_text.toPlainText())[3:4] == ["4"]
    assert shlex.split(dialog.multi_text.toPlainText())[-2:] == ["--device", "cuda"]


def test_a_wrong_host_spoils_only_the_several_machine_line(window):
    dialog = open_dialog(window)
    dialog.host.setText("my gpu box")
    assert dialog.multi_text.toPlainText() == "" and not dialog.multi_copy.isEnabled()
    assert "Rendezvous host must be a machine name or address" in dialog.status.text()
    assert dialog.single_text.toPlainText().startswith("torchrun --standalone") and dialog.single_copy.isEnabled()
    dialog.host.setText("my-gpu-box")
    assert dialog.multi_copy.isEnabled() and dialog.status.text() == ""


def test_a_config_that_cannot_be_written_says_why_and_nothing_can_be_copied(window, tmp_path):
    dialog = open_dialog(window)
    blocker = tmp_path / "a file"
    blocker.write_text("")
    dialog.config_path.setText(str(blocker / "run.toml"))
    assert not dialog.write_config()
    assert dialog.config_status.text().startswith("Not written: cannot write") and str(blocker) in \
        dialog.config_status.text()
    assert not dialog.single_copy.isEnabled() and not dialog.multi_copy.isEnabled()


def test_a_run_folder_from_anywhere_opens_and_says_it_was_trained_by_several_processes(window, qtbot, tmp_path):
    run = train_tiny_run(tmp_path / "from the GPU box", "retail.products", out=tmp_path / "from the GPU box" / "runs")
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    (run / "run.json").write_text(json.dumps({**info, "world_size": 2}), encoding="utf-8")
    with qtbot.waitSignal(window.controller.run_opened):
        assert window.runs_view.open_run_folder(str(run))
    assert window.controller.current_run == str(run)
    assert f"Opened run {run.name}" in window.statusBar().currentMessage()
    assert "trained by 2 torchrun processes" in window.statusBar().currentMessage()
    evaluation = window.evaluation_view
    window.tabs.setCurrentWidget(evaluation)
    assert "by 2 torchrun processes" in evaluation.run_label.text() and run.name in evaluation.run_label.text()
    qtbot.waitUntil(lambda: evaluation.report is not None and evaluation.run_dir == str(run), timeout=60_000)


def test_a_folder_that_is_not_a_run_is_refused_naming_what_is_missing(window, tmp_path):
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    assert not window.runs_view.open_run_folder(str(folder))
    text = window.error_box.text()
    assert text.startswith(f"Cannot open the run: {folder} is not a CNN Studio run folder")
    assert "config.toml" in text and "run.json" in text and "weights" in text
    assert window.controller.current_run == ""
    window.error_box.close()
