"""The window appears before torch is imported (torch loads with the first dataset or in the training child)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from cnnstudio.gui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
print("torch loaded:", "torch" in sys.modules)
window.close()
"""


def test_showing_the_main_window_does_not_import_torch(tmp_path) -> None:
    env_home = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env_home})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch loaded: False" in result.stdout
