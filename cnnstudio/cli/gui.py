"""``cnnstudio gui``: open the desktop app."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: Any) -> None:
    """Add the ``gui`` sub-command."""
    gui = commands.add_parser("gui", help="open the desktop app")
    gui.add_argument("--quit-after", type=int, metavar="MS", help="close the window after MS milliseconds (for scripts and smoke tests)")
    gui.set_defaults(handler=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio gui``."""
    from cnnstudio.gui.app import main as gui_main

    return int(gui_main(quit_after_ms=args.quit_after) or 0)
