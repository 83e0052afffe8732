"""The class-folder plugin: which folders it claims, and the dataset it loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from cnnstudio.core.specs import DatasetSpec


def test_plugin_claims_a_folder_of_class_sub_folders(class_folders_plugin, class_folder):
    spec = class_folders_plugin.cnnstudio_open_folder(class_folder)
    assert isinstance(spec, DatasetSpec)
    assert spec.id == f"folder:{class_folder}" and spec.title == "shapes"
    assert spec.task == "classification" and spec.domain == "Own images"
    assert spec.class_names == ("blue", "red")
    assert spec.resolve_options() == {"size": "auto", "resize": "pad", "in_memory_limit_mb": "auto"}


def test_plugin_dataset_loads_with_the_chosen_options(class_folders_plugin, class_folder):
    spec = class_folders_plugin.cnnstudio_open_folder(class_folder)
    dataset = spec.load(spec.resolve_options({"size": 24, "resize": "crop"}))
    assert dataset.images.shape == (6, 3, 24, 24) and dataset.images.dtype == torch.uint8
    assert dataset.class_names == ["blue", "red"]
    assert dataset.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_plugin_lists_only_sub_folders_with_images(class_folders_plugin, class_folder, write_image):
    (class_folder / "notes").mkdir()
    (class_folder / "notes" / "todo.txt").write_text("x")
    write_image(class_folder / "green" / "batch1" / "g.png", (0, 255, 0))  # one level down counts
    spec = class_folders_plugin.cnnstudio_open_folder(class_folder)
    assert spec.class_names == ("blue", "green", "red")


def test_plugin_refuses_mvtec_layout(class_folders_plugin, tmp_path, write_image):
    root = tmp_path / "bottle"
    write_image(root / "train" / "good" / "000.png", (1, 1, 1))
    write_image(root / "test" / "good" / "000.png", (1, 1, 1))
    write_image(root / "test" / "broken" / "000.png", (1, 1, 1))
    assert class_folders_plugin.cnnstudio_open_folder(root) is None


def test_plugin_refuses_yolo_layout(class_folders_plugin, tmp_path, write_image):
    root = tmp_path / "logos"
    write_image(root / "images" / "a.jpg", (1, 1, 1), fmt="JPEG")
    (root / "labels").mkdir()
    (root / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    assert class_folders_plugin.cnnstudio_open_folder(root) is None


def test_plugin_refuses_empty_or_image_free_folders_and_files(class_folders_plugin, tmp_path, write_image):
    (tmp_path / "empty").mkdir()
    assert class_folders_plugin.cnnstudio_open_folder(tmp_path / "empty") is None
    docs = tmp_path / "docs"
    (docs / "letters").mkdir(parents=True)
    (docs / "letters" / "a.txt").write_text("x")
    write_image(docs / "flat.png", (1, 1, 1))  # images only at the top level: not class folders
    assert class_folders_plugin.cnnstudio_open_folder(docs) is None
    assert class_folders_plugin.cnnstudio_open_folder(docs / "flat.png") is None
    assert class_folders_plugin.cnnstudio_open_folder(tmp_path / "missing") is None


def test_plugin_module_imports_nothing_heavy(class_folders_plugin):
    source = Path(class_folders_plugin.__file__).read_text()
    imports = [line for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))]
    assert all("torch" not in line and "PIL" not in line for line in imports)
    assert all("cnnstudio" not in line or "cnnstudio.plugin_api" in line for line in imports)


def test_claiming_a_folder_does_not_import_torch(class_folders_plugin, class_folder):
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('cf', {class_folders_plugin.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"assert module.cnnstudio_open_folder({str(class_folder)!r}) is not None\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
