"""Fixtures for the data tests: small image files written with Pillow, and the class-folder plugin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnstudio.core.data.folder_import as folder_import
from cnnstudio.plugin_api import private_module

REPO = Path(__file__).resolve().parents[2]


def _write_image(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (12, 10), fmt: str | None = None) -> Path:
    """A solid-colour RGB image of ``size`` (width, height) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


def _noise_image(path: Path, seed: int, size: tuple[int, int] = (16, 16)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def write_image():
    """``write_image(path, color, size=(w, h), fmt=None)``: a solid-colour RGB image file."""
    return _write_image


@pytest.fixture
def noise_image():
    """``noise_image(path, seed, size=(w, h))``: a PNG of random pixels."""
    return _noise_image


@pytest.fixture
def class_folder(tmp_path: Path) -> Path:
    """Two classes of three small PNGs each: red and blue."""
    root = tmp_path / "shapes"
    for i in range(3):
        _write_image(root / "red" / f"r{i}.png", (200 + i, 0, 0))
        _write_image(root / "blue" / f"b{i}.png", (0, 0, 200 + i))
    return root


@pytest.fixture(scope="session")
def class_folders_plugin():
    """plugins/class_folders.py loaded by path, as the plugin manager loads a bundled plugin."""
    return private_module(str(REPO / "plugins" / "class_folders.py"), "class_folders")


@pytest.fixture
def decode_counter(monkeypatch):
    """Counts the files folder_import actually decodes (the real read_image still runs)."""
    decoded: list[str] = []
    real = folder_import.read_image

    def counting_read_image(path, *args, **kwargs):
        decoded.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(folder_import, "read_image", counting_read_image)
    return decoded
