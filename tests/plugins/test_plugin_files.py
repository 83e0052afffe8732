"""private_module: a plugin's helper file is loaded once, by path, and never confused with another plugin's.

load_module_from_file, which private_module and plugin folders share: a file
or package becomes a module, and one that fails leaves nothing behind.
"""

from __future__ import annotations

import sys

import pytest

from cnnstudio.host.plugin_files import load_module_from_file
from cnnstudio.plugin_api import private_module


def test_helpers_with_the_same_name_in_two_plugin_folders_stay_apart(tmp_path) -> None:
    for name, value in (("one", 1), ("two", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "_helper.py").write_text(f"VALUE = {value}\n")
    first = private_module(str(tmp_path / "one" / "plugin.py"), "_helper")
    second = private_module(str(tmp_path / "two" / "plugin.py"), "_helper")
    assert (first.VALUE, second.VALUE) == (1, 2)
    assert private_module(str(tmp_path / "one" / "plugin.py"), "_helper") is first  # loaded once


def test_a_helper_that_fails_to_import_is_not_half_registered(tmp_path) -> None:
    (tmp_path / "_broken.py").write_text("raise RuntimeError('boom')\n")
    for _ in range(2):  # the second attempt raises again instead of returning a half-made module
        with pytest.raises(RuntimeError, match="boom"):
            private_module(str(tmp_path / "plugin.py"), "_broken")


def test_a_file_that_fails_to_load_leaves_no_module_behind(tmp_path) -> None:
    (tmp_path / "broken.py").write_text("import sys\nassert 'test_loader_broken' in sys.modules\nraise ValueError('bad')\n")
    with pytest.raises(ValueError, match="bad"):  # registered while it ran, gone afterwards
        load_module_from_file("test_loader_broken", tmp_path / "broken.py")
    assert "test_loader_broken" not in sys.modules


def test_a_package_loaded_from_its_folder_finds_its_own_submodules(tmp_path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .inner import VALUE\n")
    (package / "inner.py").write_text("VALUE = 7\n")
    try:
        module = load_module_from_file("test_loader_pkg", package / "__init__.py", [str(package)])
        assert module.VALUE == 7 and sys.modules["test_loader_pkg"] is module
    finally:
        for name in ("test_loader_pkg", "test_loader_pkg.inner"):
            sys.modules.pop(name, None)
