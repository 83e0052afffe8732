"""The torchrun lines the app shows (cnnstudio/app/launch_commands.py): exact argv, quoted text, checked fields,
and the run.toml they name, whose dataset folder trains from any working folder."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from cnnstudio.app.launch_commands import (
    local_gpu_count,
    parse_rendezvous,
    rendezvous_id,
    resume_command,
    train_command,
    write_run_config,
)
from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import ConfigError


def test_one_machine_is_torchrun_standalone_with_the_train_command(tmp_path):
    command = train_command(tmp_path / "run.toml", tmp_path / "runs", processes=4)
    assert command.argv == ("torchrun", "--standalone", "--nproc-per-node", "4", "-m", "cnnstudio", "train",
                            "--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "runs"))
    assert shlex.split(command.text) == list(command.argv)


def test_several_machines_meet_at_the_rendezvous_with_one_job_id(tmp_path):
    config = tmp_path / "run.toml"
    command = train_command(config, tmp_path / "runs", processes=8, machines=3, rendezvous="gpu-box-1:29500",
                            device="cuda")
    assert command.argv == ("torchrun", "--nnodes", "3", "--nproc-per-node", "8", "--rdzv-id", rendezvous_id(config),
                            "--rdzv-backend", "c10d", "--rdzv-endpoint", "gpu-box-1:29500", "-m", "cnnstudio",
                            "train", "--config", str(config), "--out", str(tmp_path / "runs"), "--device", "cuda")
    # Every machine runs the same line: the job id depends on the config's path alone.
    assert train_command(config, tmp_path / "x", machines=2, rendezvous="h:1").argv[6] == rendezvous_id(config)
    assert rendezvous_id(config) != rendezvous_id(tmp_path / "other.toml")


def test_paths_with_spaces_quotes_and_non_ascii_letters_survive_the_shell(tmp_path):
    folder = tmp_path / "Ana's runs (GPU) $HOME; café"
    command = train_command(folder / "run config.toml", folder)
    assert shlex.split(command.text) == list(command.argv)
    assert str(folder / "run config.toml") in command.argv
    assert "'" in command.text or '"' in command.text  # quoted, not pasted bare


def test_relative_and_home_paths_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    argv = train_command("configs/run.toml", "~/runs").argv
    assert argv[argv.index("--config") + 1] == str(tmp_path / "configs" / "run.toml")
    assert argv[argv.index("--out") + 1] == str(tmp_path / "home" / "runs")


def test_resume_takes_any_number_of_processes(tmp_path):
    run = tmp_path / "runs" / "20261205-101500-retail"
    assert resume_command(run, processes=3).argv == (
        "torchrun", "--standalone", "--nproc-per-node", "3", "-m", "cnnstudio", "resume", str(run))
    assert resume_command(run, 2, machines=2, rendezvous="[::1]:29400").argv[-6:] == (
        "--rdzv-endpoint", "[::1]:29400", "-m", "cnnstudio", "resume", str(run))


@pytest.mark.parametrize(("fields", "message"), [
    ({"processes": 0}, "processes per machine must be a whole number from 1 to 1024, got 0"),
    ({"processes": True}, "processes per machine must be a whole number"),
    ({"machines": 0}, "machines must be a whole number from 1 to 4096, got 0"),
    ({"machines": 2, "rendezvous": "gpu-box-1"}, "rendezvous must be HOST:PORT"),
    ({"machines": 2, "rendezvous": "gpu-box-1:http"}, "rendezvous port must be a number from 1 to 65535, got 'http'"),
    ({"machines": 2, "rendezvous": "gpu-box-1:70000"}, "got '70000'"),
    ({"machines": 2, "rendezvous": "gpu box:29400"}, "rendezvous host must be a machine name or address"),
    ({"device": "tpu"}, "device must be one of auto, cpu, cuda, mps"),
])
def test_a_wrong_field_is_refused_naming_it(tmp_path, fields, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train_command(tmp_path / "run.toml", tmp_path, **fields)


def test_the_rendezvous_reads_host_and_port():
    assert parse_rendezvous(" gpu-box-1:29400 ") == ("gpu-box-1", 29400)
    assert parse_rendezvous("10.0.0.7:1") == ("10.0.0.7", 1)
    assert parse_rendezvous("[fe80::1]:29400") == ("[fe80::1]", 29400)


def test_the_run_config_is_written_with_an_absolute_dataset_folder(tmp_path, monkeypatch):
    photos = tmp_path / "shop photos"
    photos.mkdir()
    monkeypatch.chdir(tmp_path)
    config = replace(RunConfig(), dataset=replace(RunConfig().dataset, id="shop photos/"))
    path = write_run_config(config, tmp_path / "new folder" / "run.toml")
    assert path == tmp_path / "new folder" / "run.toml"
    monkeypatch.chdir(tmp_path / "new folder")  # read from elsewhere, it names the same folder
    loaded = RunConfig.load(path)
    assert loaded.dataset.id == f"folder:{photos}"
    assert replace(loaded, dataset=config.dataset) == config


def test_a_registered_dataset_is_written_as_it_is(tmp_path):
    config = replace(RunConfig(), dataset=replace(RunConfig().dataset, id="manufacturing.surfaces",
                                                  options={"count": 40}))
    path = write_run_config(config, tmp_path / "run.toml")
    assert RunConfig.load(path) == config


def test_an_invalid_config_or_an_unwritable_place_is_refused_in_words(tmp_path):
    bad = replace(RunConfig(), training=replace(RunConfig().training, batch_size=0))
    with pytest.raises(ConfigError, match="training.batch_size"):
        write_run_config(bad, tmp_path / "run.toml")
    assert not (tmp_path / "run.toml").exists()
    with pytest.raises(ConfigError, match=f"{tmp_path} is a folder: choose a file name"):
        write_run_config(RunConfig(), tmp_path)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=f"cannot write .*{blocker.name}"):
        write_run_config(RunConfig(), blocker / "run.toml")


def test_the_gpu_count_is_a_number_even_without_cuda(monkeypatch):
    assert local_gpu_count() >= 0
    import torch

    def broken() -> int:
        raise RuntimeError("CUDA driver initialization failed")

    monkeypatch.setattr(torch.cuda, "device_count", broken)
    assert local_gpu_count() == 0


def test_the_written_config_is_the_one_the_command_names(tmp_path):
    path = write_run_config(RunConfig(), tmp_path / "run.toml")
    argv = train_command(path, tmp_path / "runs").argv
    assert Path(argv[argv.index("--config") + 1]) == path and path.is_file()
