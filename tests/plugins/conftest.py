"""Fixtures for the plugin tests: a real temporary plugin folder of fixture plugins.

The fixture plugins live in tests/plugins/fixtures/; the one with a syntax
error is stored as ``bad_syntax.py.txt`` so that tools scanning the source
tree do not trip on it, and is copied to ``bad_syntax.py`` here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from cnnstudio.host.manager import FOLDER_PACKAGE, StudioPluginManager

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Path:
    """A plugin folder holding a copy of every fixture plugin."""
    folder = tmp_path / "plugin-folder"
    folder.mkdir()
    for path in FIXTURES.iterdir():
        if path.suffix == ".py":
            shutil.copy(path, folder / path.name)
    shutil.copy(FIXTURES / "bad_syntax.py.txt", folder / "bad_syntax.py")
    return folder


@pytest.fixture(autouse=True)
def forget_folder_plugins():
    """Drop modules imported from plugin folders so no test sees another's."""
    yield
    for name in [n for n in sys.modules if n == FOLDER_PACKAGE or n.startswith(FOLDER_PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def manager(plugin_folder: Path) -> StudioPluginManager:
    """A manager with the built-ins, no entry points, and the fixture folder."""
    return StudioPluginManager(entry_points=False, folders=[plugin_folder])

