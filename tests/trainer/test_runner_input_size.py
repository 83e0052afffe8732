"""Folders load at their images' own size ("auto"); model.input_size follows it unless the person chose one,
and a model input smaller than the images is named with its factor and cost."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from trainer_helpers import Recorder, tiny_config

from cnnstudio.app.runner import train_run
from cnnstudio.core.config import ModelConfig
from cnnstudio.core.data.auto_size import auto_image_size, parse_size
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.events import Advice
from cnnstudio.core.model.input_size import followed_input_size, shrink_note
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.host.manager import get_plugin_manager


def write_folder(root, sizes=((40, 40),) * 6):
    rng = np.random.default_rng(0)
    for label in ("bright", "dark"):
        (root / label).mkdir(parents=True)
        for index, (width, height) in enumerate(sizes):
            Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(root / label / f"{index}.png")
    return root


def test_auto_size_is_the_median_fitted_side_capped(tmp_path):
    files = []
    for index, (width, height) in enumerate([(120, 80), (128, 128), (100, 140), (600, 400), (32, 32)]):
        files.append(tmp_path / f"{index}.png")
        Image.new("RGB", (width, height)).save(files[-1])
    assert auto_image_size(files) == 128  # longer sides 120, 128, 140, 600, 32: the median
    assert auto_image_size(files, "crop") == 100  # shorter sides: 80, 128, 100, 400, 32
    assert auto_image_size(files[3:4]) == 256  # a 600 px photo is capped
    (tmp_path / "broken.png").write_text("not an image")
    assert auto_image_size([tmp_path / "broken.png"]) == 256


@pytest.mark.parametrize("value, expected", [("auto", "auto"), ("AUTO", "auto"), (96, 96), ("128", 128), (64.0, 64)])
def test_the_size_option_takes_auto_or_pixels(value, expected):
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", ["big", 8, 2000, 12.5, True, None])
def test_other_sizes_are_refused_naming_the_option(value):
    with pytest.raises(ConfigError, match=r"dataset.options.size for /x must be \"auto\""):
        parse_size(value, "/x")


def test_a_folder_opens_at_auto_size_and_loads_at_its_images_size(tmp_path):
    folder = write_folder(tmp_path / "shapes", sizes=[(40, 40), (48, 30), (40, 40), (36, 40)])
    spec = get_plugin_manager().dataset(str(folder))
    assert spec.resolve_options()["size"] == "auto"
    assert tuple(spec.load(spec.resolve_options()).images.shape[-2:]) == (40, 40)
    assert tuple(spec.load(spec.resolve_options({"size": 24})).images.shape[-2:]) == (24, 24)
    with pytest.raises(ConfigError, match="dataset.options.size"):
        spec.resolve_options({"size": "huge"})


def test_only_a_default_input_follows_only_an_auto_folder():
    default = ModelConfig().input_size
    assert followed_input_size(default, "auto", 128) == 128
    assert followed_input_size(default, 128, 128) is None  # a chosen load size: the person chose
    assert followed_input_size(96, "auto", 128) is None  # a chosen model input
    assert followed_input_size(default, "auto", default) is None


def test_the_shrink_note_gives_the_factor_and_what_keeping_the_size_costs():
    model = ModelConfig(input_size=64)
    note = shrink_note(model, 128)
    assert "model.input_size 64 px is 2.0x smaller than the images (128 px)" in note
    assert "a 2 px scratch becomes 1.0 px" in note and "at 4.0x the compute per image and 4.0x the layer memory" in note
    assert shrink_note(model, 64) == "" and shrink_note(model, 32) == ""


def train(tmp_path, folder, model_input: int, options=None):
    config = tiny_config(epochs=1)
    config = replace(config, dataset=replace(config.dataset, id=str(folder), options=options or {}),
                     model=replace(config.model, input_size=model_input))
    recorder = Recorder()
    finished = train_run(config, run_dir=tmp_path / f"run{model_input}", observers=[recorder])
    notes = {event.code: event.message for event in recorder.events if isinstance(event, Advice)}
    return RunFolder(finished.run_dir).load_config(), notes


def test_a_run_at_the_default_input_follows_the_folder_and_says_so(tmp_path):
    folder = write_folder(tmp_path / "shapes")
    saved, notes = train(tmp_path, folder, ModelConfig().input_size)
    assert saved.model.input_size == 40 and saved.dataset.options == {}
    assert "model.input_size follows the images" in notes["input_size"] and "40 px" in notes["input_size"]


def test_a_chosen_smaller_input_is_kept_and_named_with_its_factor(tmp_path):
    folder = write_folder(tmp_path / "shapes")
    saved, notes = train(tmp_path, folder, 20)
    assert saved.model.input_size == 20 and "input_size" not in notes
    assert "model.input_size 20 px is 2.0x smaller than the images (40 px)" in notes["input_shrunk"]


def test_summary_says_the_input_follows_a_folder_and_names_a_chosen_shrink(tmp_path, capsys):
    from cnnstudio.cli.main import main

    folder = write_folder(tmp_path / "shapes")
    config = tmp_path / "run.toml"
    config.write_text(f'[dataset]\nid = "{folder}"\n', encoding="utf-8")
    assert main(["summary", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "40x40 input" in out and "model.input_size follows the images" in out
    config.write_text(f'[dataset]\nid = "{folder}"\n[model]\ninput_size = 20\n', encoding="utf-8")
    assert main(["summary", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "20x20 input" in out and "model.input_size 20 px is 2.0x smaller than the images (40 px)" in out


def test_the_memory_estimate_reads_an_auto_folders_size_from_its_files(tmp_path):
    from cnnstudio.core.model.memory_budget import dataset_figures

    folder = write_folder(tmp_path / "shapes", sizes=[(40, 40)] * 3)
    spec = get_plugin_manager().dataset(str(folder))
    assert dataset_figures(spec, spec.resolve_options())[:2] == (6, 40)
    assert dataset_figures(spec, spec.resolve_options({"size": 24}))[:2] == (6, 24)
