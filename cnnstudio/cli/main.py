"""The ``cnnstudio`` command line: train, resume, summary, plugins, datasets, gui; evaluate, predict and
threshold (cli_use_run), export, report and compare (their own modules).

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
import signal
import sys
import threading
import tomllib
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from cnnstudio import __version__
from cnnstudio.cli.format import (
    TrainingPrinter, finished_summary, format_datasets, format_finished, format_plugins, json_line,
)
from cnnstudio.cli.use_run import add_run_commands, existing_run_dir
from cnnstudio.core.errors import CNNStudioError, ConfigError, TrainingError

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERNAL, EXIT_ABORTED = 0, 1, 2, 3, 130


# ---- training commands ------------------------------------------------------

def parse_option(text: str) -> tuple[str, Any]:
    """``key=value`` -> (key, value), the value read as a TOML literal when it is one."""
    from cnnstudio.core.shorten import shorten, shown

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--option {shown(text)} must look like key=value (for example count=200)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # a bare word such as difficulty=hard
    except RecursionError:
        raise ConfigError(f"--option {shorten(key.strip())}: the value is nested too deeply to read") from None
    except ValueError:  # an integer of more than 4300 digits
        raise ConfigError(f"--option {shorten(key.strip())}: the value is not a number CNN Studio can read, "
                          f"got {shown(raw.strip())}") from None
    return key.strip(), value


def options_for(dataset: str, options: dict[str, Any]) -> dict[str, Any]:
    """The config file's dataset options that ``dataset`` also has (count, size, seed... usually all of them)."""
    from cnnstudio.host.manager import get_plugin_manager

    try:
        known = {option.name for option in get_plugin_manager().dataset(dataset).options}
    except CNNStudioError:
        return {}  # an unknown dataset: training reports it with the list of ids
    return {name: value for name, value in options.items() if name in known}


def build_train_config(args: argparse.Namespace) -> Any:
    """The run config: --config (or the defaults = `recommended`), then --preset, then the flags."""
    from cnnstudio.core.config import RunConfig, replace_nested
    from cnnstudio.core.data.dataset_ids import dataset_folder, folder_dataset_id
    from cnnstudio.core.model.presets import apply_preset

    config = RunConfig.load(args.config) if args.config else RunConfig()
    if args.preset:
        config = apply_preset(config, args.preset)
    changes: dict[str, Any] = {}
    if args.dataset:
        dataset = args.dataset
        try:
            folder = dataset_folder(dataset)
            if folder is not None:
                dataset = folder_dataset_id(folder.resolve())  # runs must find it again from anywhere
        except (OSError, ValueError):  # a name too long for the file system: the checks below name it
            pass
        if dataset != config.dataset.id:
            changes["dataset.options"] = options_for(dataset, config.dataset.options)
        changes["dataset.id"] = dataset
    if args.option:
        options = dict(changes.get("dataset.options", config.dataset.options))
        options.update(parse_option(text) for text in args.option)
        changes["dataset.options"] = options
    for flag, field in (
        ("head", "head.id"), ("epochs", "training.epochs"), ("batch_size", "training.batch_size"),
        ("lr", "training.lr"), ("seed", "seed"), ("threads", "threads"), ("device", "device"),
    ):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    if getattr(args, "tensorboard", False):
        changes["training.tensorboard"] = True
    config = replace_nested(config, **changes) if changes else config.validate()
    if config.head.id or config.head.options:  # a wrong head id or option fails here, before the dataset loads
        from cnnstudio.host.manager import get_plugin_manager

        manager = get_plugin_manager()
        try:
            default_head = manager.dataset(config.dataset.id).default_head
        except CNNStudioError:
            return config  # an unknown dataset: training reports it with the list of ids
        manager.head(config.head.id or default_head, config.head.options)
    return config


class StopOnInterrupt:
    """First Ctrl+C asks the trainer to stop (the run is saved as cancelled); the second aborts."""

    def __init__(self, err: Any) -> None:
        self.event = threading.Event()
        self.err = err
        self._previous: Any = None

    def __enter__(self) -> StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\ncnnstudio: stopping (press Ctrl+C again to abort)", file=self.err, flush=True)

    def requested(self) -> bool:
        return self.event.is_set()


def _run_training(args: argparse.Namespace, start: Callable[..., Any]) -> int:
    out = sys.stderr if args.json else sys.stdout
    printer = TrainingPrinter(out=out, err=sys.stderr, progress=not args.no_progress)
    try:
        with StopOnInterrupt(sys.stderr) as stop:
            # A batch event per batch feeds the progress bar (tqdm redraws at most 10 times a second).
            every = 1 if printer.progress else 10
            finished = start(observers=(printer,), stop_requested=stop.requested, batch_event_every=every)
    finally:
        printer.close()
    print(format_finished(finished), file=out)
    if args.json:
        print(json_line(finished_summary(finished)))
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    config = build_train_config(args)
    from cnnstudio.host.manager import get_plugin_manager

    # Cheap checks first, so a wrong id, folder or option fails before torch loads.
    get_plugin_manager().dataset(config.dataset.id).resolve_options(config.dataset.options)
    from cnnstudio.app.runner import train_run

    runs_root = Path(args.out).expanduser().resolve() if args.out else None
    return _run_training(args, lambda **kw: train_run(config, runs_root=runs_root, **kw))


def cmd_resume(args: argparse.Namespace) -> int:
    from cnnstudio.app.runner import resume_run

    run_dir = existing_run_dir(args.run_dir)
    return _run_training(args, lambda **kw: resume_run(run_dir, epochs=args.epochs, **kw))


# ---- looking around ---------------------------------------------------------

def cmd_summary(args: argparse.Namespace) -> int:
    from cnnstudio.core.config import RunConfig
    from cnnstudio.core.model.presets import apply_preset
    from cnnstudio.core.model.summary import summarize

    config = RunConfig.load(args.config) if args.config else RunConfig()
    if args.preset:
        config = apply_preset(config, args.preset)
    num_classes = args.classes
    if num_classes < 2:
        raise ConfigError(f"--classes must be at least 2 (a classifier tells classes apart), got {num_classes}")
    head_id = args.head or config.head.id or "classification"
    from cnnstudio.host.manager import get_plugin_manager

    head_spec = get_plugin_manager().head(head_id)
    summary = summarize(config.model, num_classes, config.head.options, head_build=head_spec.build)
    print(f"Model {config.model.preset!r} with the {head_id} head for {num_classes} classes, "
          f"{config.model.input_size}x{config.model.input_size} input")
    print(summary.format_table())
    from cnnstudio.core.model.memory_budget import memory_report

    for line in memory_report(config, get_plugin_manager(), summary, num_classes):
        print(line)
    from cnnstudio.core.train.advice import advise

    shown = {problem.message for problem in summary.problems}  # format_table lists them already
    advice = [item for item in advise(config, num_classes=num_classes, head_build=head_spec.build)
              if item.message not in shown]
    if advice:
        print("\nAdvice:")
        for item in advice:
            print(f"  {item.severity} ({item.field}): {item.message}")
    errors = list(summary.errors) + [item for item in advice if item.severity == "error"]
    if errors:
        print(f"cnnstudio: error: this model cannot train: {errors[0].message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
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


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnstudio.host.manager import get_plugin_manager

    print(format_datasets(get_plugin_manager().datasets()))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from cnnstudio.gui.app import main as gui_main

    return int(gui_main(quit_after_ms=args.quit_after) or 0)


# ---- parser and error handling ----------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnstudio", description="CNN Studio: prototype small CNN image classifiers, headless.",
        epilog="Exit codes: 0 ok, 1 training failed or some images failed, 2 bad input "
        "(config, dataset, run folder), 3 internal error (traceback in the log), 130 aborted.",
    )
    parser.add_argument("--version", action="version", version=f"cnnstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="print full tracebacks (or set CNNSTUDIO_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def json_flag(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--json", action="store_true", help=f"print {what} as one JSON object on the last stdout line (progress goes to stderr)")

    def training_flags(p: argparse.ArgumentParser) -> None:
        json_flag(p, "the final metrics")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    train = commands.add_parser("train", help="train a model on a dataset", description="Train a model; Ctrl+C stops and saves the run as cancelled, twice aborts.")
    train.add_argument("--dataset", metavar="ID_OR_FOLDER", help="a dataset id (see `cnnstudio datasets`) or a folder of images (default: the config's, retail.products)")
    train.add_argument("--option", action="append", metavar="KEY=VALUE", help="a dataset option, repeatable: --option count=200 --option size=16")
    train.add_argument("--preset", metavar="NAME", help="model preset: recommended, seed, seed-3conv, seed-avgpool, seed-dropout")
    train.add_argument("--config", metavar="FILE", help="a run config TOML (default: the recommended preset)")
    train.add_argument("--head", metavar="ID", help="model head id (default: the dataset's)")
    train.add_argument("--epochs", type=int, metavar="N")
    train.add_argument("--batch-size", type=int, metavar="N")
    train.add_argument("--lr", type=float, metavar="X", help="learning rate")
    train.add_argument("--seed", type=int, metavar="N")
    train.add_argument("--threads", type=int, metavar="N", help="torch threads (0 = automatic)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    train.add_argument("--tensorboard", action="store_true", help="write TensorBoard event files into RUN_DIR/tensorboard (needs the tensorboard package)")
    train.add_argument("--out", metavar="DIR", help="runs root folder: a new run sub-folder is created inside it (default: the user data folder)")
    training_flags(train)
    train.set_defaults(handler=cmd_train)

    resume = commands.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_dir", metavar="RUN_DIR")
    resume.add_argument("--epochs", type=int, metavar="N", help="train until this epoch (default: the config's)")
    training_flags(resume)
    resume.set_defaults(handler=cmd_resume)

    add_run_commands(commands, json_flag)

    summary = commands.add_parser("summary", help="layer table of a model, with advice")
    source = summary.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME")
    source.add_argument("--config", metavar="FILE")
    summary.add_argument("--classes", type=int, default=2, help="number of classes (default 2)")
    summary.add_argument("--head", metavar="ID", help="the head whose layers end the table (default: the config's, else classification)")
    summary.set_defaults(handler=cmd_summary)

    plugins = commands.add_parser("plugins", help="installed plugins, what they add, and failures")
    json_flag(plugins, "the plugin list")
    plugins.add_argument("--verbose", action="store_true", help="full tracebacks of failed plugins")
    plugins.set_defaults(handler=cmd_plugins)

    datasets = commands.add_parser("datasets", help="datasets the plugins offer")
    datasets.set_defaults(handler=cmd_datasets)

    gui = commands.add_parser("gui", help="open the desktop app")
    gui.add_argument("--quit-after", type=int, metavar="MS", help="close the window after MS milliseconds (for scripts and smoke tests)")
    gui.set_defaults(handler=cmd_gui)

    for module_name in COMMAND_MODULES:
        _add_module_command(commands, module_name)
    return parser


# Commands that live in their own module: each defines ``add_command(commands)``,
# which adds its sub-parser and sets ``handler``. They import torch only when run.
COMMAND_MODULES = ("cnnstudio.cli.export", "cnnstudio.cli.report", "cnnstudio.cli.compare")


def _add_module_command(commands: Any, module_name: str) -> None:
    import importlib

    importlib.import_module(module_name).add_command(commands)


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
