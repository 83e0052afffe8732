"""The core imports neither the app nor the host, anywhere; the GUI runs app jobs, never the CLI's text."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "cnnstudio" / "core"
GUI_JOB_MODULES = (
    ROOT / "cnnstudio" / "gui" / "dialogs" / "export_dialog.py",
    ROOT / "cnnstudio" / "gui" / "workers" / "report_action.py",
)
FORBIDDEN_IN_CORE = ("cnnstudio.app", "cnnstudio.host")


def every_import(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement in ``path``, inside functions too.

    ``from x import y`` gives ``x`` and ``x.y`` (y may be a module); relative imports are resolved
    against ``path``'s package (its folder under ``root``).
    """
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_no_core_module_imports_the_app_or_the_host_even_inside_a_function() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted(CORE.rglob("*.py"))
        for line, name in every_import(path)
        if any(under(name, package) for package in FORBIDDEN_IN_CORE)
    ]
    assert not offenders, "cnnstudio/core must not import cnnstudio.app or cnnstudio.host:\n" + "\n".join(offenders)


def test_the_walk_finds_imports_inside_functions_and_resolves_relative_ones(tmp_path) -> None:
    folder = tmp_path / "cnnstudio" / "core" / "report"
    folder.mkdir(parents=True)
    module = folder / "sneaky.py"
    module.write_text(
        "import json\n"
        "def render():\n"
        "    from cnnstudio.app.runner import prepare\n"
        "    class Late:\n"
        "        def load(self):\n"
        "            from ...host import manager\n"
        "            from ... import app\n"
        "            import cnnstudio.host.discovery as found\n",
        encoding="utf-8",
    )
    found = every_import(module, root=tmp_path)
    assert (1, "json") in found and (3, "cnnstudio.app.runner") in found
    assert (6, "cnnstudio.host") in found and (6, "cnnstudio.host.manager") in found
    assert (7, "cnnstudio.app") in found and (8, "cnnstudio.host.discovery") in found


def test_the_gui_runs_app_jobs_instead_of_the_cli() -> None:
    for path in GUI_JOB_MODULES:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        assert "cnnstudio: error" not in text, f"{path.name} still parses the CLI's error lines"
        strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        assert not [s for s in strings if s.startswith(("cnnstudio.cli", "-m"))], f"{path.name} starts the CLI"
        attributes = {f"{node.value.id}.{node.attr}" for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)}
        assert "sys.executable" not in attributes, f"{path.name} starts a Python process itself"
        imported = {name for _, name in every_import(path)}
        assert not any(under(name, "cnnstudio.cli") for name in imported), f"{path.name} imports the CLI"
        assert "PySide6.QtCore.QProcess" not in imported, f"{path.name} starts a QProcess"
        assert "cnnstudio.gui.workers.job_runner.JobRunner" in imported, f"{path.name} does not use JobRunner"
