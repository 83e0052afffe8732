"""Reading YOLO label files and class-name files (private helper of yolo_folders).

A label file holds one object per line, ``class cx cy w h``: a whole class
number and the box centre, width and height as fractions (0..1) of the
image's width and height. Class names come from ``classes.txt`` (one per
line) or the ``names:`` entry of ``data.yaml`` / ``dataset.yaml``, read by a
tiny parser that understands the forms YOLO tools write (a flow list
``[a, b]``, a flow mapping ``{0: a, 1: b}``, a block list ``- a`` or a block
mapping ``0: a``); PyYAML is not needed. Pure Python: cheap to import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

NAME_FILES = ("classes.txt", "labels/classes.txt", "data.yaml", "dataset.yaml", "data.yml", "dataset.yml")
FORMAT = "'class cx cy w h'"


@dataclass(frozen=True)
class LabelBox:
    """One valid label line: class and normalised centre, width, height."""

    class_id: int
    cx: float
    cy: float
    w: float
    h: float


@dataclass
class LabelFile:
    """The valid boxes of a label file and a reason for each bad line."""

    boxes: list[LabelBox] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_class_names(root: Path) -> tuple[list[str], str] | None:
    """(class names, the file they came from), or None when no file names them."""
    for relative in NAME_FILES:
        path = Path(root) / relative
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        names = _names_from_txt(text) if path.suffix == ".txt" else _names_from_yaml(text)
        if names:
            return names, relative
    return None


def _names_from_txt(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _names_from_yaml(text: str) -> list[str] | None:
    """The ``names:`` of a YOLO data.yaml, in class order; None if absent or unreadable."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"names\s*:(.*)$", line)  # top level only: no indentation
        if not match:
            continue
        rest = _strip_comment(match.group(1)).strip()
        if rest.startswith("["):
            rest = _join_until(rest, lines[number + 1 :], "]")
            return [_unquote(item) for item in _split_flow(rest[1:rest.rfind("]")])]
        if rest.startswith("{"):
            rest = _join_until(rest, lines[number + 1 :], "}")
            return _ordered(_split_flow(rest[1:rest.rfind("}")]))
        if rest:
            return None
        block = []
        for item in lines[number + 1 :]:
            if item.strip() and not item[:1].isspace() and not item.startswith("-"):
                break  # the next top-level key
            item = _strip_comment(item).strip()
            if item:
                block.append(item)
        if block and all(item.startswith("-") for item in block):
            return [_unquote(item[1:]) for item in block]
        return _ordered(block)
    return None


def _join_until(first: str, more: list[str], closing: str) -> str:
    text = first
    for line in more:
        if closing in text:
            break
        text += " " + _strip_comment(line).strip()
    return text


def _split_flow(text: str) -> list[str]:
    """Split ``a, 'b, c', d`` at commas outside quotes."""
    items, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            items.append(current)
            current = ""
            continue
        current += char
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def _ordered(pairs: list[str]) -> list[str] | None:
    """``0: a`` items -> names ordered by their number; None if any is malformed."""
    named = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip().isdigit():
            return None
        named[int(key)] = _unquote(value)
    if sorted(named) != list(range(len(named))):
        return None
    return [named[i] for i in range(len(named))]


def _strip_comment(text: str) -> str:
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[:index]
    return text


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_labels(text: str, num_classes: int | None, names_source: str = "") -> LabelFile:
    """Every valid ``class cx cy w h`` line of ``text``; a named reason for each bad one.

    ``num_classes`` (None when no names file exists) bounds the class ids.
    Blank lines are ignored.
    """
    result = LabelFile()
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        problem = _check_line(parts, num_classes, names_source)
        if problem:
            result.problems.append(f"line {number}: {problem}")
            continue
        class_id, cx, cy, w, h = (float(part) for part in parts)
        result.boxes.append(LabelBox(int(class_id), cx, cy, w, h))
    return result


def _check_line(parts: list[str], num_classes: int | None, names_source: str) -> str:
    """Why a split label line is unusable, or "" when it is fine."""
    if len(parts) != 5:
        polygon = " (polygon segmentation labels are not supported)" if len(parts) > 5 else ""
        return f"expected 5 numbers {FORMAT}, got {len(parts)}{polygon}"
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            return f"not a number: {part!r} (expected {FORMAT})"
        if not math.isfinite(value):
            return f"not a number: {part!r} (expected {FORMAT})"
    class_id, cx, cy, w, h = (float(part) for part in parts)
    if class_id < 0 or not class_id.is_integer():
        return f"class must be a whole number >= 0, got {parts[0]!r}"
    if num_classes is not None and class_id >= num_classes:
        return (f"class {int(class_id)} is out of range: {names_source or 'the names file'} "
                f"names {num_classes} classes (0..{num_classes - 1})")
    for name, value, part in zip(("cx", "cy", "w", "h"), (cx, cy, w, h), parts[1:]):
        if not 0.0 <= value <= 1.0:
            return f"coordinates must be normalised to 0..1, got {name}={part}"
    if w == 0 or h == 0:
        return f"box width and height must be > 0, got w={parts[3]} h={parts[4]}"
    return ""
