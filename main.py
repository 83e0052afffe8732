"""Launch CNN Studio: ``python main.py`` (what ``make run`` does) opens the desktop app.

The ``__main__`` guard matters: training runs in a spawned child process,
which imports this file again without running the app.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    from cnnstudio.gui.app import main as gui_main

    return int(gui_main() or 0)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
