"""The app's colours, by meaning: every view takes its colours from here instead of writing hex codes.

The values are in resources/palette.toml (the one place a colour is written);
this module reads them once at import and names them for the views.
Series colours are matplotlib's "tab10", so curves and comparisons look like the
plots people already know; text colours keep at least 4.5:1 contrast on white.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from cnnstudio.resource_files import resource_path

PALETTE_FILE = "palette.toml"
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
NAMED_SERIES = 6  # BLUE, RED, GREEN, ORANGE, PURPLE, BROWN


def load_palette(text: str, source: str = PALETTE_FILE) -> tuple[dict[str, str], tuple[str, ...]]:
    """The named colours (``[colours]``) and the series colours (``[series] colours``) of a palette TOML."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{source}: not valid TOML ({error})") from None
    colours, series = data.get("colours", {}), data.get("series", {}).get("colours", [])
    named = {f"[colours] {key}": value for key, value in colours.items()}
    named.update({f"[series] colours[{index}]": value for index, value in enumerate(series)})
    for where, value in named.items():
        if not isinstance(value, str) or not COLOUR.fullmatch(value):
            raise ValueError(f"{source}: {where} = {value!r} is not a hex colour (#rgb or #rrggbb)")
    if len(series) < NAMED_SERIES:
        raise ValueError(f"{source}: [series] colours has {len(series)} colours, needs at least {NAMED_SERIES}")
    return dict(colours), tuple(series)


_PATH = resource_path(PALETTE_FILE)
_COLOURS, SERIES = load_palette(_PATH.read_text(encoding="utf-8"), str(_PATH))


def colour(name: str) -> str:
    """The colour called ``name`` in palette.toml's ``[colours]``."""
    try:
        return _COLOURS[name]
    except KeyError:
        raise KeyError(f"{_PATH}: [colours] has no '{name}'") from None


ERROR = colour("error")  # errors and refusals
WARNING = colour("warning")  # warnings under a setting
NOTE = colour("note")  # something to notice: an unsaved change, a fallback checkpoint
PASSED = colour("passed")  # a check that passed (export parity)
MUTED = colour("muted")  # secondary text: loading, summaries
TEXT = colour("text")  # plot titles and legends
AXIS_TEXT = colour("axis_text")
AXIS_LINE = colour("axis_line")
HIGHLIGHT = colour("highlight")  # the best epoch, the threshold line
REFERENCE_LINE = colour("reference_line")  # chance lines
BORDER = colour("border")  # cell borders
EMPTY = colour("empty")  # a zero count: present, but nothing to see
DROP_BORDER, DROP_TEXT = colour("drop_border"), colour("drop_text")  # a drop target waiting for a file
RIGHT_BACKGROUND = colour("right_background")  # counts of correct decisions
WRONG_BACKGROUND = colour("wrong_background")  # counts of wrong decisions
CAUTION_TEXT, CAUTION_BACKGROUND = colour("caution_text"), colour("caution_background")  # a box that asks for attention
ICON, ICON_DISABLED = colour("icon"), colour("icon_disabled")  # action and button icons
ICON_GO, ICON_STOP = colour("icon_go"), colour("icon_stop")  # Start training / Resume, Stop training
THUMBNAIL = colour("thumbnail")  # a thumbnail still decoding
UNLABELLED = colour("unlabelled")  # an image or box without a class
LABEL_TAG_TEXT = colour("label_tag_text")  # a class name on its coloured tag

# One colour per series (train, validation, runs in a comparison), in order: SERIES, read above.
BLUE, RED, GREEN, ORANGE, PURPLE, BROWN = SERIES[:6]

ERROR_STYLE = f"color: {ERROR};"
MUTED_STYLE = f"color: {MUTED};"


def error_html(text: str) -> str:
    """``text`` (already escaped HTML) in the error colour."""
    return f"<span style='color:{ERROR}'>{text}</span>"
