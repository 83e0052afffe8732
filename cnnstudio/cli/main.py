"""The ``cnnstudio`` command line: the top-level parser, ``main`` and its error handling.

Each command lives in its own module of ``cnnstudio.cli`` (listed in
``COMMAND_MODULES``), which defines ``add_command(commands)``: it adds the
command's sub-parser and sets its ``handler``.

Exit codes: 0 success; 1 training failed (loss became NaN, ...) or some
images could not be predicted; 2 a usage, config, dataset or run-folder error,
or a file-system error such as a full disk (one line ``cnnstudio: error:
<message>`` on stderr, no traceback); 3 an internal error (one line naming
the log file that holds the traceback);
130 training aborted by a second Ctrl+C. torch is imported inside commands
only, so ``cnnstudio --help`` and ``cnnstudio plugins`` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cnnstudio import __version__
from cnnstudio.cli import (
    compare,
    datasets,
    evaluate,
    export,
    gui,
    plugins,
    predict,
    report,
    resume,
    summary,
    threshold,
    train,
)
from cnnstudio.cli.exit_codes import EXIT_ABORTED, EXIT_ERROR, EXIT_FAILED, EXIT_INTERNAL, EXIT_OK
from cnnstudio.core.errors import CNNStudioError, TrainingError

__all__ = ["COMMAND_MODULES", "EXIT_ABORTED", "EXIT_ERROR", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_OK",
           "build_parser", "log_file", "main"]

# The commands, in the order ``cnnstudio --help`` lists them. Each module imports torch only when run.
COMMAND_MODULES = (train, resume, evaluate, predict, threshold, summary, plugins, datasets, gui, export, report, compare)


def build_parser() -> argparse.ArgumentParser:
    """The ``cnnstudio`` parser with every command of ``COMMAND_MODULES``."""
    parser = argparse.ArgumentParser(
        prog="cnnstudio", description="CNN Studio: prototype small CNN image classifiers, headless.",
        epilog="Exit codes: 0 ok, 1 training failed or some images failed, 2 bad input "
        "(config, dataset, run folder), 3 internal error (traceback in the log), 130 aborted.",
    )
    parser.add_argument("--version", action="version", version=f"cnnstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="print full tracebacks (or set CNNSTUDIO_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_command(commands)
    return parser


def log_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("cnnstudio")) / "cli.log"


def _log_traceback(text: str) -> str:
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now().isoformat(timespec='seconds')} cnnstudio {' '.join(sys.argv[1:])}\n{text}\n")
        return str(path)
    except OSError as error:
        return f"(could not write {path}: {error})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = args.debug or os.environ.get("CNNSTUDIO_DEBUG", "") not in ("", "0")
    try:
        return args.handler(args)
    except TrainingError as error:
        print(f"cnnstudio: error: training failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    except CNNStudioError as error:
        if debug:
            traceback.print_exc()
        print(f"cnnstudio: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("cnnstudio: aborted", file=sys.stderr)
        return EXIT_ABORTED
    except OSError as error:  # disk full, read-only folder, file too large: the person's to fix
        from cnnstudio.core.atomic import describe_os_error

        print(f"cnnstudio: error: {describe_os_error(error)}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("cnnstudio: error: out of memory: use fewer or smaller images, a smaller model.input_size "
              "or training.batch_size", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # a bug: keep the traceback for the log, show one line
        text = traceback.format_exc()
        where = _log_traceback(text)
        if debug:
            print(text, file=sys.stderr, end="")
        print(f"cnnstudio: internal error: {type(error).__name__}: {error} (full traceback in {where})", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
