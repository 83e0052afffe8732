"""Every view takes its colours from cnnstudio/gui/widgets/palette.py, which reads their values from
resources/palette.toml: no hex colour is written anywhere else."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parents[2] / "cnnstudio" / "gui"
HEX_COLOUR = re.compile(r"""["':\s]#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b""")


def test_no_view_writes_a_hex_colour_of_its_own():
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(GUI.rglob("*.py")) if path.name != "palette.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if HEX_COLOUR.search(line.split("  #")[0])
    ]
    assert not offenders, "use cnnstudio.gui.widgets.palette instead:\n" + "\n".join(offenders)


PALETTE_PY = GUI / "widgets" / "palette.py"
PALETTE_TOML = Path(__file__).resolve().parents[2] / "resources" / "palette.toml"
ANY_HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b")


def test_the_palette_module_defines_no_colour_value_of_its_own():
    """resources/palette.toml is the one place a colour value is written; palette.py only reads it."""
    offenders = [f"palette.py:{number}: {line.strip()}"
                 for number, line in enumerate(PALETTE_PY.read_text(encoding="utf-8").splitlines(), start=1)
                 if ANY_HEX.search(line)]
    assert not offenders, "write colour values in resources/palette.toml:\n" + "\n".join(offenders)


def test_every_palette_name_has_the_value_of_the_toml():
    from cnnstudio.gui.widgets import palette

    data = tomllib.loads(PALETTE_TOML.read_text(encoding="utf-8"))
    assert data["colours"], "palette.toml has no [colours]"
    for key, value in data["colours"].items():
        assert getattr(palette, key.upper()) == value, key
    assert palette.SERIES == tuple(data["series"]["colours"])
    assert (palette.BLUE, palette.BROWN) == (palette.SERIES[0], palette.SERIES[5])
    assert palette.ERROR in palette.ERROR_STYLE and palette.ERROR in palette.error_html("x")


def test_a_value_that_is_not_a_colour_is_refused_naming_the_file_and_key():
    from cnnstudio.gui.widgets.palette import load_palette

    series = '[series]\ncolours = ["#111", "#222", "#333", "#444", "#555", "#666"]\n'
    colours, loaded = load_palette('[colours]\nerror = "#b00020"\n' + series, "p.toml")
    assert colours == {"error": "#b00020"} and len(loaded) == 6
    with pytest.raises(ValueError, match=r"p\.toml: \[colours\] error = 'red' is not a hex colour"):
        load_palette('[colours]\nerror = "red"\n' + series, "p.toml")
    with pytest.raises(ValueError, match=r"p\.toml: \[series\] colours has 1 colours, needs at least 6"):
        load_palette('[series]\ncolours = ["#111"]\n', "p.toml")
    with pytest.raises(ValueError, match=r"p\.toml: not valid TOML"):
        load_palette("[colours\n", "p.toml")
