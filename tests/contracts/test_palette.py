"""Every view takes its colours from cnnstudio/gui/widgets/palette.py: no hex colour is written anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

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
