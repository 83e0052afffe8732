"""The resources/ folder: every file the app loads is there, found from the checkout and from a wheel's layout,
and shipped by pyproject.toml's package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from PIL import Image

import cnnstudio
from cnnstudio.resource_files import resource_path, resources_dir, sample_images

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
LOADED = ("app-icon.svg", "app-icon.png", "palette.toml", "samples/README.txt")
SAMPLE_MAX_BYTES = 40_000


def test_the_checkout_s_resources_folder_is_found():
    assert resources_dir() == RESOURCES
    for name in LOADED:
        assert resource_path(name) == RESOURCES / name and resource_path(name).stat().st_size > 0


def test_a_missing_resource_is_named_in_the_error():
    with pytest.raises(FileNotFoundError, match=r"resources[/\\]no-such-file\.svg: resource file missing"):
        resource_path("no-such-file.svg")


def test_an_installed_wheel_s_resources_are_found_inside_the_package(tmp_path, monkeypatch):
    """A wheel ships resources/ as cnnstudio/resources (pyproject.toml's package-dir)."""
    package = tmp_path / "site-packages" / "cnnstudio"
    (package / "resources" / "samples").mkdir(parents=True)
    (package / "resources" / "palette.toml").write_text("[colours]\n", encoding="utf-8")
    (package / "resources" / "samples" / "one.jpg").write_bytes((RESOURCES / "samples" / "cat.jpg").read_bytes())
    (tmp_path / "resources").mkdir()  # a folder beside site-packages must not be taken for the checkout's
    monkeypatch.setattr(cnnstudio, "__file__", str(package / "__init__.py"))
    assert resources_dir() == package / "resources"
    assert resource_path("palette.toml") == package / "resources" / "palette.toml"
    assert sample_images() == [package / "resources" / "samples" / "one.jpg"]


def test_sample_photos_are_listed_small_readable_and_credited():
    samples = sample_images()
    assert 3 <= len(samples) <= 6, samples
    readme = resource_path("samples/README.txt").read_text(encoding="utf-8")
    assert "scikit-image" in readme and "Licence" in readme
    for path in samples:
        assert path.stat().st_size <= SAMPLE_MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"
        with Image.open(path) as image:
            image.load()
            assert image.format == "JPEG" and min(image.size) >= 128
        assert path.name in readme, f"{path.name} is not credited in samples/README.txt"


def test_package_data_ships_every_resource_file():
    """Each file in resources/ matches a package-data pattern of cnnstudio.resources, so the wheel has it."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "cnnstudio.resources" in setuptools["packages"]
    assert setuptools["package-dir"]["cnnstudio.resources"] == "resources"
    patterns = setuptools["package-data"]["cnnstudio.resources"]
    shipped = {path for pattern in patterns for path in RESOURCES.glob(pattern)}
    files = {path for path in RESOURCES.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert files and files <= shipped, f"not shipped in a wheel: {sorted(str(p) for p in files - shipped)}"
