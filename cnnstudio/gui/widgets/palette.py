"""The app's colours, by meaning: every view takes its colours from here instead of writing hex codes.

Series colours are matplotlib's "tab10", so curves and comparisons look like the
plots people already know; text colours keep at least 4.5:1 contrast on white.
"""

from __future__ import annotations

ERROR = "#b00020"  # errors and refusals
WARNING = "#8a5a00"  # warnings under a setting
NOTE = "#b35900"  # something to notice: an unsaved change, a fallback checkpoint
PASSED = "#1b5e20"  # a check that passed (export parity)
MUTED = "#555"  # secondary text: loading, summaries
TEXT = "#222"  # plot titles and legends
AXIS_TEXT = "#333"
AXIS_LINE = "#888"
HIGHLIGHT = "#ff7f0e"  # the best epoch, the threshold line
REFERENCE_LINE = "#999999"  # chance lines
BORDER = "#bbb"  # cell borders
EMPTY = "#8a8a8a"  # a zero count: present, but nothing to see
DROP_BORDER, DROP_TEXT = "#999", "#666"  # a drop target waiting for a file
RIGHT_BACKGROUND = "#dff0d8"  # counts of correct decisions
WRONG_BACKGROUND = "#f8d7da"  # counts of wrong decisions
CAUTION_TEXT, CAUTION_BACKGROUND = "#9a5b00", "#fff4dc"  # a box that asks for attention

# One colour per series (train, validation, runs in a comparison), in order.
SERIES = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
BLUE, RED, GREEN, ORANGE, PURPLE, BROWN = SERIES[:6]

ERROR_STYLE = f"color: {ERROR};"
MUTED_STYLE = f"color: {MUTED};"


def error_html(text: str) -> str:
    """``text`` (already escaped HTML) in the error colour."""
    return f"<span style='color:{ERROR}'>{text}</span>"
