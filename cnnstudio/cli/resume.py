"""``cnnstudio resume RUN_DIR``: continue a run from its last checkpoint."""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.flags import training_flags
from cnnstudio.cli.run_args import existing_run_dir
from cnnstudio.cli.training import run_training


def add_command(commands: Any) -> None:
    """Add the ``resume`` sub-command."""
    resume = commands.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_dir", metavar="RUN_DIR")
    resume.add_argument("--epochs", type=int, metavar="N", help="train until this epoch (default: the config's)")
    training_flags(resume)
    resume.set_defaults(handler=cmd_resume)


def cmd_resume(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio resume``."""
    from cnnstudio.app.runner import resume_run

    run_dir = existing_run_dir(args.run_dir)
    return run_training(args, lambda **kw: resume_run(run_dir, epochs=args.epochs, **kw))
