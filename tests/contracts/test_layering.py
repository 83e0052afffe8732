"""The layering rules of docs/architecture.md, enforced so they cannot rot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "qtpy")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_never_imports_qt():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] in QT_MODULES)
        for path in (ROOT / "cnnstudio" / "core").rglob("*.py")
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert not offenders, f"cnnstudio/core must not import Qt: {offenders}"


def test_core_does_not_import_the_gui_or_the_plugin_manager():
    for path in (ROOT / "cnnstudio" / "core").rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith("cnnstudio.gui"), f"{path} imports {name}"
            assert name != "cnnstudio.host.manager", f"{path} imports the plugin manager"


def test_builtin_plugins_use_only_the_public_plugin_api():
    plugin_files = [path for path in (ROOT / "plugins").glob("*.py") if path.name != "__init__.py"]
    assert plugin_files, "the built-in plugins folder is empty"
    for path in plugin_files:
        for name in imported_modules(path):
            if name.split(".")[0] == "cnnstudio":
                assert name == "cnnstudio.plugin_api", f"{path.name} imports {name}; plugins may import only cnnstudio.plugin_api"


def test_importing_the_core_config_does_not_load_qt():
    code = "import sys, cnnstudio.core.config, cnnstudio.core.train.trainer; print([m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
