"""``cnnstudio datasets``: the datasets the plugins offer."""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_OK
from cnnstudio.cli.format import format_datasets


def add_command(commands: Any) -> None:
    """Add the ``datasets`` sub-command."""
    datasets = commands.add_parser("datasets", help="datasets the plugins offer")
    datasets.set_defaults(handler=cmd_datasets)


def cmd_datasets(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio datasets``."""
    from cnnstudio.host.manager import get_plugin_manager

    print(format_datasets(get_plugin_manager().datasets()))
    return EXIT_OK
