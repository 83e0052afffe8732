"""The app's icons: ``icon("start")`` for an action or button, ``app_icon()`` for the window.

Action icons come from qtawesome's bundled Material Design Icons font (offline),
coloured from the palette. An icon that cannot be made (qtawesome missing or
broken) is an empty QIcon, so a button shows its text alone; a name not in
ICONS is a programming error and raises KeyError.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtGui import QIcon

from cnnstudio.gui.widgets import palette
from cnnstudio.resource_files import resource_path

log = logging.getLogger(__name__)

APP_ICON_FILES = ("app-icon.svg", "app-icon.png")  # the PNG where Qt has no SVG plugin

# Our action name -> (Material Design Icons 6 name in qtawesome, colour).
ICONS: dict[str, tuple[str, str]] = {
    "open": ("mdi6.folder-open", palette.ICON),
    "open-image": ("mdi6.image", palette.ICON),
    "open-config": ("mdi6.file-cog", palette.ICON),
    "save": ("mdi6.content-save", palette.ICON),
    "export": ("mdi6.export", palette.ICON),
    "report": ("mdi6.file-chart", palette.ICON),
    "preferences": ("mdi6.cog", palette.ICON),
    "quit": ("mdi6.exit-to-app", palette.ICON),
    "start": ("mdi6.play", palette.ICON_GO),
    "stop": ("mdi6.stop", palette.ICON_STOP),
    "full-screen": ("mdi6.fullscreen", palette.ICON),
    "plugins": ("mdi6.puzzle", palette.ICON),
    "reload": ("mdi6.reload", palette.ICON),
    "help": ("mdi6.help-circle", palette.ICON),
    "shortcuts": ("mdi6.keyboard", palette.ICON),
    "about": ("mdi6.information", palette.ICON),
    "refresh": ("mdi6.refresh", palette.ICON),
    "open-run": ("mdi6.chart-line", palette.ICON),
    "resume": ("mdi6.play-pause", palette.ICON_GO),
    "show-folder": ("mdi6.folder-search", palette.ICON),
    "compare": ("mdi6.compare-horizontal", palette.ICON),
    "open-run-folder": ("mdi6.folder-download", palette.ICON),
    "torchrun": ("mdi6.server-network", palette.ICON),
    "copy": ("mdi6.content-copy", palette.ICON),
}


def _qtawesome() -> Any:
    """qtawesome, imported through QtPy on the binding this app uses."""
    os.environ.setdefault("QT_API", "pyside6")  # QtPy reads it on import; PySide6 is the app's binding
    import qtawesome

    return qtawesome


def icon(name: str) -> QIcon:
    """The icon of the action ``name`` (a key of ICONS); an empty QIcon when it cannot be made."""
    font_icon, colour = ICONS[name]
    try:
        return _qtawesome().icon(font_icon, color=colour, color_disabled=palette.ICON_DISABLED)
    except Exception as error:  # ImportError, a font qtawesome cannot load: show the text alone
        log.warning("icon %r (%s) not available: %s: %s", name, font_icon, type(error).__name__, error)
        return QIcon()


def app_icon() -> QIcon:
    """CNN Studio's icon (resources/app-icon.svg, with its PNG), for the window and the taskbar."""
    result = QIcon()
    for file in APP_ICON_FILES:
        try:
            result.addFile(str(resource_path(file)))
        except FileNotFoundError as error:
            log.warning("%s", error)
    return result
