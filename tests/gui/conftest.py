"""GUI test fixtures: an isolated controller and main window (settings in a temp file, runs in a temp folder).

Tests for the GUI live in tests/gui/ with basenames ``test_gui_<area>_*.py``;
shared helpers go in ``tests/gui/gui_helpers.py`` (tests cannot import conftest).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from cnnstudio.gui.controller import StudioController


@pytest.fixture
def controller(qtbot, tmp_path):
    """A StudioController whose runs go to a temp folder; its children and threads are shut down after."""
    studio = StudioController(runs_root=tmp_path / "runs")
    yield studio
    studio.shutdown()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, controller, settings):
    """The real MainWindow, shown offscreen, not yet loading a dataset (call window.start() for that)."""
    from cnnstudio.gui.main_window import MainWindow

    main = MainWindow(controller, settings)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
