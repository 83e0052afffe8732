"""Which plugin claims a folder, and training end to end on MVTec-AD and YOLO folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from imports_helpers import background, make_mvtec, make_yolo, save

from cnnstudio.app.runner import train_run
from cnnstudio.core.config import ConvLayer, DatasetConfig, HeadConfig, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.host.manager import get_plugin_manager


def test_layout_choice_sends_each_folder_to_the_plugin_that_reads_it(tmp_path):
    manager = get_plugin_manager()
    mvtec, yolo = make_mvtec(tmp_path / "bottle"), make_yolo(tmp_path / "pets")
    for i in range(2):
        save(tmp_path / "fruit" / "apples" / f"{i}.png", background(20, 20, i))
        save(tmp_path / "fruit" / "pears" / f"{i}.png", background(20, 20, 10 + i))
    claimed = {name: manager.dataset(str(folder)) for name, folder in
               [("mvtec", mvtec), ("yolo", yolo), ("plain", tmp_path / "fruit")]}
    # Each spec's loader is defined in the plugin that claimed the folder.
    plugin_files = {name: Path(spec.load.__code__.co_filename).name for name, spec in claimed.items()}
    assert plugin_files == {"mvtec": "mvtec_folders.py", "yolo": "yolo_folders.py", "plain": "class_folders.py"}
    assert claimed["mvtec"].task == "defect" and claimed["yolo"].task == "detection"
    assert claimed["plain"].task == "classification" and claimed["plain"].class_names == ("apples", "pears")
    assert manager.open_folder(mvtec).id == claimed["mvtec"].id


def test_layout_choice_class_folders_alone_still_refuses_mvtec_and_yolo(tmp_path):
    manager = get_plugin_manager()
    import cnnstudio.bundled_plugins.class_folders as class_folders

    assert class_folders.PLUGIN_PRIORITY > 60
    assert class_folders.cnnstudio_open_folder(make_mvtec(tmp_path / "bottle")) is None
    assert class_folders.cnnstudio_open_folder(make_yolo(tmp_path / "pets")) is None
    import cnnstudio.bundled_plugins.mvtec_folders as mvtec_folders
    import cnnstudio.bundled_plugins.yolo_folders as yolo_folders

    assert mvtec_folders.PLUGIN_PRIORITY == yolo_folders.PLUGIN_PRIORITY == 60
    assert manager is get_plugin_manager()


def tiny_config(folder, head: str = "", size: int = 32) -> RunConfig:
    model = ModelConfig(preset="tiny", input_size=size, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
                        global_pool="avg")
    training = TrainingConfig(epochs=1, batch_size=8, val_fraction=0.25, test_fraction=0.0)
    return RunConfig(dataset=DatasetConfig(id=str(folder), options={"size": size}), model=model,
                     head=HeadConfig(id=head), training=training, seed=1, device="cpu", threads=1).validate()


@pytest.mark.parametrize("head", ["classification", "heatmap"])
def test_layout_choice_mvtec_folder_trains_end_to_end(tmp_path, head):
    finished = train_run(tiny_config(make_mvtec(tmp_path / "bottle"), head), runs_root=tmp_path / "runs")
    assert finished.reason == "completed" and finished.epochs_run == 1
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0


@pytest.mark.parametrize("head", ["classification", "box"])
def test_layout_choice_yolo_folder_trains_end_to_end(tmp_path, head):
    finished = train_run(tiny_config(make_yolo(tmp_path / "pets"), head), runs_root=tmp_path / "runs")
    assert finished.reason == "completed" and finished.epochs_run == 1
    assert 0.0 <= finished.metrics["val_accuracy"] <= 1.0
