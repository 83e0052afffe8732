"""Where the app's resource files are: the app icon, the palette, the sample photos.

They live in the top-level ``resources/`` folder of the source checkout; a
wheel ships that folder as ``cnnstudio/resources`` (pyproject.toml maps it),
the way ``plugins/`` becomes ``cnnstudio/bundled_plugins``
(``cnnstudio.host.discovery.bundled_plugins_dir``). Standard library only, so
every layer may use it.
"""

from __future__ import annotations

from pathlib import Path

import cnnstudio

SAMPLES_FOLDER = "samples"
SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png")


def resources_dir() -> Path:
    """The resources folder: in the wheel, else the source checkout."""
    package_dir = Path(cnnstudio.__file__).parent
    inside = package_dir / "resources"
    return inside if inside.is_dir() else package_dir.parent / "resources"


def resource_path(name: str) -> Path:
    """The file ``name`` (``"palette.toml"``, ``"samples/coffee.jpg"``) in the resources folder.

    Raises FileNotFoundError naming the path when the file is missing (a broken install).
    """
    path = resources_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: resource file missing (a broken CNN Studio install?)")
    return path


def sample_images() -> list[Path]:
    """The sample photos shown at first launch, by file name; empty when the folder is missing."""
    folder = resources_dir() / SAMPLES_FOLDER
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.suffix.lower() in SAMPLE_SUFFIXES and path.is_file())
