"""No GUI module takes or keeps the controller as ``Any``, so an editor can follow a call from a view to the core."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUI = ROOT / "cnnstudio" / "gui"


def mentions_any(annotation: ast.expr) -> bool:
    """Whether an annotation is or contains ``Any`` (``Any``, ``typing.Any``, ``Any | None``, ``"Any"``...)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "Any":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Any":
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() == "Any":
            return True
    return False


def controllers_typed_any(source: str, filename: str = "<source>") -> list[str]:
    """``file:line`` of each parameter or attribute named ``controller`` annotated with ``Any``."""
    found: list[int] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.arg):
            name, annotation = node.arg, node.annotation
        elif isinstance(node, ast.AnnAssign):
            target = node.target
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            annotation = node.annotation
        else:
            continue
        if name == "controller" and annotation is not None and mentions_any(annotation):
            found.append(node.lineno)
    return [f"{filename}:{line}" for line in sorted(found)]


def test_the_check_finds_every_spelling_of_an_any_controller():
    source = (
        "from typing import Any\n"
        "import typing\n"
        "def a(controller: Any): ...\n"
        "def b(*, controller: Any | None = None): ...\n"
        "def c(controller: 'Any'): ...\n"
        "def d(controller: typing.Optional[typing.Any]): ...\n"
        "class E:\n"
        "    controller: Any\n"
        "    def __init__(self, c):\n"
        "        self.controller: Any = c\n"
    )
    assert controllers_typed_any(source) == [f"<source>:{line}" for line in (3, 4, 5, 6, 8, 10)]


def test_the_check_accepts_a_typed_controller_and_other_names():
    source = (
        "from typing import Any\n"
        "def a(controller: StudioController, other: Any): ...\n"
        "def b(controller: 'StudioController | None' = None): ...\n"
        "def c(controller): ...\n"
        "class E:\n"
        "    controller: StudioController\n"
        "    manager: Any\n"
    )
    assert controllers_typed_any(source) == []


def test_no_gui_module_types_the_controller_as_any():
    offenders = []
    for path in sorted(GUI.rglob("*.py")):
        offenders += controllers_typed_any(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not offenders, ("type `controller` as StudioController (a TYPE_CHECKING import of "
                           f"cnnstudio.gui.controller), not Any: {offenders}")
