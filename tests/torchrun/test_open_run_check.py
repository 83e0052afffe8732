"""Is this folder a run? (cnnstudio/app/open_run.py): a run opens from anywhere; anything else is refused
naming the folder and each part it lacks."""

from __future__ import annotations

import pytest

from cnnstudio.app.open_run import check_run_folder, missing_run_parts
from cnnstudio.core.errors import RunError


def fake_run(folder, config=True, info=True, weights="best"):
    folder.mkdir(parents=True)
    if config:
        (folder / "config.toml").write_text("seed = 0\n")
    if info:
        (folder / "run.json").write_text("{}")
    if weights:
        (folder / "weights").mkdir()
        (folder / "weights" / f"{weights}.safetensors").write_bytes(b"")
    return folder


def test_a_run_folder_from_anywhere_is_accepted_as_an_absolute_path(tmp_path, monkeypatch):
    run = fake_run(tmp_path / "copied from the GPU box" / "20261205-101500-retail")
    monkeypatch.chdir(tmp_path)
    assert check_run_folder("copied from the GPU box/20261205-101500-retail") == run
    assert missing_run_parts(fake_run(tmp_path / "stopped early", weights="last")) == []


@pytest.mark.parametrize(("parts", "missing"), [
    ({"config": False}, "it has no config.toml."),
    ({"info": False, "weights": ""}, "it has no run.json, no weights (weights/best.safetensors or "
                                     "weights/last.safetensors)."),
    ({"weights": ""}, "it has no weights"),
])
def test_a_folder_that_is_not_a_run_is_named_with_what_it_lacks(tmp_path, parts, missing):
    folder = fake_run(tmp_path / "half", **parts)
    with pytest.raises(RunError) as error:
        check_run_folder(folder)
    assert str(error.value).startswith(f"{folder} is not a CNN Studio run folder: ")
    assert missing in str(error.value)


def test_a_folder_of_runs_points_into_it(tmp_path):
    for name in ("20261205-a", "20261205-b"):
        fake_run(tmp_path / "runs" / name)
    with pytest.raises(RunError, match=r"It holds 2 run folders \(20261205-a, 20261205-b\): open one of them"):
        check_run_folder(tmp_path / "runs")


def test_a_config_alone_and_a_run_without_weights_say_what_to_do(tmp_path):
    with pytest.raises(RunError, match="A config.toml alone is a run config.*File > Open run config"):
        check_run_folder(fake_run(tmp_path / "configs", info=False, weights=""))
    with pytest.raises(RunError, match="saved no checkpoint yet"):
        check_run_folder(fake_run(tmp_path / "too early", weights=""))


def test_a_missing_folder_or_a_file_is_refused(tmp_path):
    with pytest.raises(RunError, match=f"{tmp_path / 'gone'} does not exist"):
        check_run_folder(tmp_path / "gone")
    (tmp_path / "config.toml").write_text("")
    with pytest.raises(RunError, match="is a file, not a run folder"):
        check_run_folder(tmp_path / "config.toml")
