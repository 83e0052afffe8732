"""``shown(value)``: a user's value as it may appear inside a one-line error message.

Error messages echo what the person typed ("training.lr must be > 0, got -1"),
but a value may be a 5 MB string, a 5000-digit number or a list nested
thousands deep. ``shown`` is never longer than about ``limit`` characters, never
spans lines, and never raises (``repr`` of such values can: RecursionError,
or ValueError for an int of more than 4300 digits).
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

LIMIT = 60
ELLIPSIS = "…"

_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxstring = _repr.maxother = _repr.maxlong = LIMIT + 10
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


def shorten(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters (plus ``…`` when cut), on one line."""
    text = str(text).replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def shown(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)``, at most ``limit`` characters (plus ``…``), for an error message."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        digits = int(math.log10(abs(value))) + 1  # log10 takes ints of any size, rounded near 10**n
        if 10 ** (digits - 1) > abs(value):
            digits -= 1
        return f"a {'negative ' if value < 0 else ''}number of about {digits} digits"
    try:
        text = _repr.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return shorten(text, limit)
