"""Every dataset id the host hands out is accepted back: folder: ids, relative paths, ~, spaces, non-ASCII."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.dataset_ids import dataset_folder, folder_dataset_id
from cnnstudio.core.errors import DatasetError
from cnnstudio.host.manager import StudioPluginManager


def _class_folder(root: Path) -> Path:
    for name, grey in (("bonne pièce", 200), ("défaut", 40)):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (12, 10), (grey + i, grey, grey)).save(root / name / f"IMG {i}.JPG")
    return root


def _mvtec(root: Path) -> Path:
    for folder in ("train/good", "test/good", "test/crack"):
        (root / folder).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (12, 12), (90 + i, 90, 90)).save(root / folder / f"{i:03d}.png")
    return root


def _yolo(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (16, 16), (10 * i, 60, 60)).save(root / "images" / f"{i}.jpg")
        (root / "labels" / f"{i}.txt").write_text("0 0.5 0.5 0.4 0.4\n")
    return root


@pytest.fixture(scope="module")
def manager():
    return StudioPluginManager(entry_points=False, folders=[])


@pytest.mark.parametrize("layout", [_class_folder, _mvtec, _yolo])
def test_every_folder_id_the_host_hands_out_is_accepted_back(manager, tmp_path, layout):
    folder = layout(tmp_path / "Fotos de café" / "Ångström 1")
    spec = manager.dataset(str(folder))
    assert spec.id == f"folder:{folder}"
    again = manager.dataset(spec.id)
    assert again.id == spec.id and again.class_names == spec.class_names


def test_relative_and_home_paths_name_the_same_folder(manager, tmp_path, monkeypatch):
    folder = _class_folder(tmp_path / "my photos")
    monkeypatch.chdir(tmp_path)
    assert manager.dataset("my photos").id == f"folder:{folder}"
    assert manager.dataset("./my photos").id == f"folder:{folder}"
    assert manager.dataset("folder:my photos").id == f"folder:{folder}"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert manager.dataset("~/my photos").id == f"folder:{folder}"
    assert manager.dataset("folder:~/my photos").id == f"folder:{folder}"


def test_a_folder_id_of_a_deleted_folder_says_folder_not_found(manager, tmp_path):
    with pytest.raises(DatasetError, match=r"folder not found: .*gone"):
        manager.dataset(folder_dataset_id(tmp_path / "gone"))


def test_registered_ids_are_not_folders(manager):
    assert dataset_folder("retail.products") is None
    assert manager.dataset("retail.products").id == "retail.products"


def test_a_config_file_reads_a_relative_folder_against_its_own_folder(tmp_path, monkeypatch):
    folder = _class_folder(tmp_path / "project" / "photos")
    config = RunConfig()
    config.dataset.id = "photos"
    config.save(tmp_path / "project" / "run.toml")
    monkeypatch.chdir(tmp_path)  # not the config's folder
    assert RunConfig.load(tmp_path / "project" / "run.toml").dataset.id == f"folder:{folder}"
    config.dataset.id = "folder:./photos"
    config.save(tmp_path / "project" / "run.toml")
    assert RunConfig.load(tmp_path / "project" / "run.toml").dataset.id == f"folder:{folder}"
