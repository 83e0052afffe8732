"""Flags that several ``cnnstudio`` commands share."""

from __future__ import annotations

import argparse


def json_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--json``: print ``what`` as one JSON object on the last stdout line."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as one JSON object on the last stdout line (progress goes to stderr)")


def training_flags(parser: argparse.ArgumentParser) -> None:
    """Add the flags of the commands that train (``train``, ``resume``): ``--json`` and ``--no-progress``."""
    json_flag(parser, "the final metrics")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
