"""Shared pieces of the config fuzz tests: hostile values, field paths and what a good refusal looks like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, settings

from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.shorten import shown

BIG = 5_000_000  # characters of the huge strings
LONG = 200_000  # characters of the long strings put in every field (parsing 5 MB takes 0.3 s)
DEEP = 5000  # levels of the deeply nested values
MAX_MESSAGE = 300  # characters of an error message, besides the config file's own path
FUZZ = settings(derandomize=True, deadline=None, max_examples=150,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field of a config dict, as a path of keys and list indexes."""
    if isinstance(value, dict) and value:
        return [path for key, item in value.items() for path in leaf_paths(item, (*prefix, key))]
    if isinstance(value, list) and value and prefix[-1] == "conv_layers":
        return [path for index, item in enumerate(value) for path in leaf_paths(item, (*prefix, index))]
    return [prefix]


DEFAULTS = RunConfig().to_dict()
FIELDS = leaf_paths(DEFAULTS) + [
    ("dataset", "options", "count"), ("dataset", "options", "seed"), ("head", "options", "threshold"),
]
OPTION_FIELDS = {path for path in FIELDS if "options" in path}


def set_path(data: Any, path: tuple, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path`` (only the containers on the path are copied:
    a value may be nested too deep for copy.deepcopy)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        copied: Any = list(data)
    elif isinstance(data, dict):
        copied = dict(data)
    else:  # an earlier change put a scalar where this path needs a table
        copied = {}
    copied[head] = set_path(copied.get(head) if isinstance(copied, dict) else copied[head], rest, value)
    return copied


SENTINEL = "__HOSTILE_VALUE__"


def toml_with(path: tuple, literal: str) -> str:
    """The default config as TOML, with the field at ``path`` written as the raw TOML ``literal``."""
    text = tomli_w.dumps(set_path(DEFAULTS, path, SENTINEL))
    assert text.count(f'"{SENTINEL}"') == 1
    return text.replace(f'"{SENTINEL}"', literal)


# Raw TOML literals, by name. All of them are nonsense for every field but the options
# tables, whose values only the dataset or the head can judge (tested through the CLI).
HOSTILE = {
    "inf": "inf",
    "minus_inf": "-inf",
    "nan": "nan",
    "float_overflow": "1e400",  # TOML reads it as inf
    "huge_int": "9" * 30,
    "huge_negative_int": "-" + "9" * 30,
    "int_of_5000_digits": "9" * 5000,  # more digits than Python converts from text
    "deep_array": "[" * DEEP + "]" * DEEP,
    "deep_inline_table": "{a = " * DEEP + "1" + "}" * DEEP,
    "long_string": '"' + "x" * LONG + '"',
    "long_string_with_newlines": '"""' + "line\n" * (LONG // 5) + '"""',
}
# Plain wrong values: a field may accept some of them (a string field takes "text").
ODD = {
    "negative": "-5",
    "fraction": "3.5",
    "zero": "0",
    "boolean": "true",
    "text": '"text"',
    "empty_text": '""',
    "array": "[1, 2]",
    "inline_table": "{ a = 1 }",
    "date": "1979-05-27",
    "nested_20": "[" * 20 + "]" * 20,
}


def short_id(value: Any) -> str:
    """A short test id: the parameters hold 5 MB strings and 5000-digit numbers."""
    return shown(value, 24).replace(" ", "")


def message_ok(error: BaseException, source: str = "") -> str:
    text = str(error)
    assert "\n" not in text and "\r" not in text, text[:500]
    assert len(text) - len(source) < MAX_MESSAGE, text[:500]
    return text


def load_text(tmp_path: Path, text: str) -> tuple[RunConfig | None, str]:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        return RunConfig.load(path), ""
    except CNNStudioError as error:
        return None, message_ok(error, str(path))

def deeply_nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value
