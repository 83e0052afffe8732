"""The GUI runs app jobs, never the CLI's text. (That the core imports neither the app nor the host, even
inside functions, is checked with every other layer in test_layering.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUI_JOB_MODULES = (
    ROOT / "cnnstudio" / "gui" / "dialogs" / "export_dialog.py",
    ROOT / "cnnstudio" / "gui" / "workers" / "report_action.py",
)


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
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert not any(name.startswith("cnnstudio.cli") for name in imported), f"{path.name} imports the CLI"
        assert "PySide6.QtCore.QProcess" not in imported, f"{path.name} starts a QProcess"
        assert "cnnstudio.gui.workers.job_runner.JobRunner" in imported, f"{path.name} does not use JobRunner"
