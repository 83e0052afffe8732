"""Start the desktop app: ``python main.py``, ``make run``, ``cnnstudio gui`` or ``cnnstudio-gui``.

The window is shown before anything heavy is imported (torch loads on a
worker thread with the first dataset, and in the training child).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None, quit_after_ms: int | None = None) -> int:
    """Show the main window and run the event loop; ``quit_after_ms`` closes it by itself (scripts, smoke tests)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("CNN Studio")
    app.setOrganizationName("CNN Studio")
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.widgets.icons import app_icon
    from cnnstudio.gui.workers.gui_thread_gc import GuiThreadGarbageCollector

    app.setWindowIcon(app_icon())  # the taskbar's and every dialog's icon

    collector = GuiThreadGarbageCollector(app)  # Qt objects are freed on this thread, never on a worker

    window = MainWindow()
    window.show()
    window.start()
    if quit_after_ms is not None:
        QTimer.singleShot(max(0, quit_after_ms), window.close)
    try:
        return int(app.exec())
    finally:
        collector.stop()


if __name__ == "__main__":
    sys.exit(main())
