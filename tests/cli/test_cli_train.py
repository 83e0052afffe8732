"""`cnnstudio train` and `resume`: the JSON contract, the run folder, and readable errors."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from cnnstudio.cli.main import main
from cnnstudio.core.config import RunConfig
from cnnstudio.core.runs.folder import RunFolder

REQUIRED_KEYS = {"run_dir", "val_accuracy", "test_accuracy", "epochs", "best_epoch", "reason", "metrics"}


def test_train_json_last_line_has_the_result_and_the_run_folder_holds_config_and_weights(trained_run, tmp_path):
    result = trained_run.result
    assert REQUIRED_KEYS <= set(result)
    assert result["epochs"] == 1 and result["best_epoch"] == 1 and result["reason"] == "completed"
    assert 0.0 <= result["val_accuracy"] <= 1.0 and 0.0 <= result["test_accuracy"] <= 1.0
    assert result["metrics"]["val_accuracy"] == result["val_accuracy"]
    run_dir = trained_run.run_dir
    assert run_dir.parent.name == "my-runs"  # --out is the runs root; the run is a new sub-folder
    saved = RunConfig.load(run_dir / "config.toml")
    assert saved.dataset.options == {"count": 200, "size": 16} and saved.model.input_size == 16
    assert any(p.stat().st_size > 0 for p in (run_dir / "weights").glob("*.safetensors"))
    # With --json, every progress line goes to stderr: stdout is exactly the one JSON line.
    assert trained_run.process.stdout.strip().count("\n") == 0
    assert "epoch 1/1" in trained_run.process.stderr


def test_train_prints_an_epoch_line_and_final_metrics_in_text_mode(tiny_config, tmp_path, capsys):
    code = main(["train", "--config", str(tiny_config), "--option", "count=60", "--batch-size", "16",
                 "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/1" in out and "val_acc" in out
    assert "test accuracy" in out and "best epoch 1" in out
    run_dir = out.strip().splitlines()[-1].removeprefix("Run folder: ")
    assert RunConfig.load(f"{run_dir}/config.toml").dataset.options["count"] == 60
    assert RunConfig.load(f"{run_dir}/config.toml").training.batch_size == 16


def test_train_with_corrupt_config_toml_exits_2_with_one_line_naming_the_file(tmp_path, run_cli):
    bad = tmp_path / "broken run.toml"
    bad.write_text("[model\ninput_size = ", encoding="utf-8")
    process = run_cli(["train", "--config", str(bad)], tmp_path)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnstudio: error: ")
    assert str(bad) in lines[0] and "TOML" in lines[0]
    assert "Traceback" not in process.stderr and process.stdout == ""


def test_train_on_a_missing_folder_names_it(tmp_path, capsys):
    missing = tmp_path / "no such photos"
    assert main(["train", "--dataset", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnstudio: error: ") and str(missing) in err and "\n" not in err


def test_train_with_unknown_dataset_id_lists_the_known_ones(capsys):
    assert main(["train", "--dataset", "retail.prodcts"]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'retail.prodcts'" in err and "retail.products" in err


def test_train_with_unknown_preset_lists_the_presets(capsys):
    assert main(["train", "--preset", "seed-4conv"]) == 2
    err = capsys.readouterr().err
    assert "seed-4conv" in err and "seed-avgpool" in err and "Traceback" not in err


def test_train_with_an_unknown_dataset_option_names_it(capsys):
    assert main(["train", "--option", "colour=red"]) == 2
    assert "dataset.options.colour is not an option of retail.products" in capsys.readouterr().err


def test_train_with_a_bad_flag_value_reports_the_config_field(capsys):
    assert main(["train", "--lr", "-1"]) == 2
    assert "training.lr must be > 0" in capsys.readouterr().err


def test_resume_continues_a_copy_of_the_run_to_the_requested_epoch(trained_run, tmp_path, capsys):
    copy = tmp_path / "resumed"
    shutil.copytree(trained_run.run_dir, copy)
    assert main(["resume", str(copy), "--epochs", "2", "--json", "--no-progress"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["epochs"] == 2 and result["reason"] == "completed"
    assert result["run_dir"].endswith("resumed")


def test_resume_of_a_missing_run_folder_is_a_readable_error(tmp_path, capsys):
    assert main(["resume", str(tmp_path / "gone")]) == 2
    assert "run folder not found" in capsys.readouterr().err


def test_ctrl_c_stops_training_cooperatively_and_saves_the_run_as_cancelled(tiny_config, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnstudio", "train", "--config", str(tiny_config), "--epochs", "500",
         "--out", str(tmp_path), "--json", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in process.stderr:  # with --json the epoch lines go to stderr
            if line.startswith("epoch 1/500"):
                break
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["reason"] == "cancelled" and 1 <= result["epochs"] < 500
    assert RunFolder(result["run_dir"]).status == "cancelled"
    assert RunFolder(result["run_dir"]).weights_path("last").exists()


def test_train_on_a_relative_class_folder_stores_its_absolute_path(tmp_path, monkeypatch, capsys):
    from PIL import Image

    for name, colour in (("ok", (210, 210, 210)), ("scratched", (40, 40, 40))):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(8):
            Image.new("RGB", (20, 20), (colour[0] + i, colour[1], colour[2])).save(tmp_path / "photos" / name / f"{i}.png")
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--dataset", "photos", "--preset", "seed", "--epochs", "1", "--threads", "1",
                 "--out", "runs", "--json", "--no-progress"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    saved = RunConfig.load(f"{result['run_dir']}/config.toml")
    assert saved.dataset.id == f"folder:{tmp_path / 'photos'}"
    assert result["run_dir"].startswith(str(tmp_path / "runs"))
    # The run retrains from its own config, from any working folder.
    monkeypatch.chdir(tmp_path / "photos")
    code = main(["train", "--config", f"{result['run_dir']}/config.toml", "--epochs", "1", "--threads", "1",
                 "--out", str(tmp_path / "again"), "--json", "--no-progress"])
    assert code == 0, capsys.readouterr().err


def test_train_on_a_folder_with_broken_files_lists_them_and_still_trains(tmp_path, capsys):
    from PIL import Image

    for name, colour in (("ok", (210, 210, 210)), ("dented", (40, 40, 40))):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(8):
            Image.new("RGB", (20, 20), (colour[0] + i, colour[1], colour[2])).save(tmp_path / "photos" / name / f"{i}.png")
    (tmp_path / "photos" / "ok" / "notes.jpg").write_text("not a picture")
    (tmp_path / "photos" / "dented" / "empty.png").write_bytes(b"")
    code = main(["train", "--dataset", str(tmp_path / "photos"), "--preset", "seed", "--epochs", "1",
                 "--threads", "1", "--out", str(tmp_path / "runs"), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "skipped 2 file(s)" in out
    assert "notes.jpg" in out and "empty.png" in out
    run_dir = next((tmp_path / "runs").iterdir())
    skipped = RunFolder(run_dir).read_info()["skipped_files"]
    assert sorted(Path(entry["path"]).name for entry in skipped) == ["empty.png", "notes.jpg"]


def test_dataset_flag_keeps_the_config_files_options_that_the_new_dataset_has(tmp_path):
    from cnnstudio.cli.main import build_parser
    from cnnstudio.cli.train import build_train_config

    config = tmp_path / "mine.toml"
    config.write_text('[dataset]\nid = "retail.products"\noptions = { count = 160, size = 32, classes = 3 }\n',
                      encoding="utf-8")
    args = build_parser().parse_args(["train", "--config", str(config), "--dataset", "manufacturing.surfaces"])
    built = build_train_config(args)
    # count and size mean the same for every generated dataset; 'classes' is retail's own.
    assert built.dataset.id == "manufacturing.surfaces" and built.dataset.options == {"count": 160, "size": 32}
    args = build_parser().parse_args(["train", "--config", str(config), "--dataset", "no.such.dataset"])
    assert build_train_config(args).dataset.options == {}
