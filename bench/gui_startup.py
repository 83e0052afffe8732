"""Time from launch to CNN Studio's main window being visible, and check torch is not imported by then.

Each of 5 runs starts a fresh ``python -c`` that builds the real MainWindow the way
``cnnstudio.gui.app.main`` does, shows it and processes events once; it reports
``time.monotonic()`` (one system-wide clock on Linux, so the parent's clock reads the
same) at its first line and once the window is visible. Printed: the median and
every run's time from process spawn and from the child's first line of Python,
and which heavy modules (torch, pyqtgraph) were already imported then.
Run: ``.venv/bin/python bench/gui_startup.py`` (offscreen unless DISPLAY is set).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
CHILD = r"""
import time
first_line = time.monotonic()
import json, os, sys, tempfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from cnnstudio.gui.main_window import MainWindow
settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
window = MainWindow(settings=settings)
window.show()
app.processEvents()
shown = time.monotonic()
print(json.dumps({"first_line": first_line, "shown": shown, "visible": window.isVisible(),
                  "torch": "torch" in sys.modules, "pyqtgraph": "pyqtgraph" in sys.modules}), flush=True)
os._exit(0)
"""


def one_run() -> dict:
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    spawned = time.monotonic()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not line:
        raise SystemExit(f"the window did not start:\n{out.stderr}")
    result = json.loads(line[-1])
    result["from_spawn"] = result["shown"] - spawned
    result["from_first_line"] = result["shown"] - result["first_line"]
    return result


def main() -> int:
    results = [one_run() for _ in range(RUNS)]
    spawn = [r["from_spawn"] for r in results]
    python = [r["from_first_line"] for r in results]
    print(f"window visible after launch: median {statistics.median(spawn) * 1000:.0f} ms from process spawn "
          f"(runs: {', '.join(f'{s * 1000:.0f}' for s in spawn)} ms)")
    print(f"                             median {statistics.median(python) * 1000:.0f} ms from the first line of Python")
    print(f"torch imported by then: {any(r['torch'] for r in results)}; "
          f"pyqtgraph imported by then: {any(r['pyqtgraph'] for r in results)}; "
          f"window visible: {all(r['visible'] for r in results)}")
    ok = statistics.median(spawn) < 1.0 and not any(r["torch"] for r in results)
    print("goal (< 1 s, no torch):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
