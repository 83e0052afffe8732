"""``cnnstudio plugins``: the installed plugins, what they add, and the ones that failed."""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_OK
from cnnstudio.cli.flags import json_flag
from cnnstudio.cli.format import format_plugins, json_line


def add_command(commands: Any) -> None:
    """Add the ``plugins`` sub-command."""
    plugins = commands.add_parser("plugins", help="installed plugins, what they add, and failures")
    json_flag(plugins, "the plugin list")
    plugins.add_argument("--verbose", action="store_true", help="full tracebacks of failed plugins")
    plugins.set_defaults(handler=cmd_plugins)


def cmd_plugins(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio plugins``."""
    from cnnstudio.host.manager import get_plugin_manager

    manager = get_plugin_manager()
    if args.json:
        failures = [
            {"plugin": f.plugin, "origin": f.origin, "location": f.location, "hook": f.hook,
             "message": f.message, **({"traceback": f.traceback} if args.verbose else {})}
            for f in manager.failures
        ]
        print(json_line({"plugins": manager.describe(), "failures": failures}))
    else:
        print(format_plugins(manager.describe(), list(manager.failures), args.verbose))
    return EXIT_OK
