"""private_module: a plugin's helper file is loaded once, by path, and never confused with another plugin's."""

from __future__ import annotations

import pytest

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
