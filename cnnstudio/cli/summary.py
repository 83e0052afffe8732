"""``cnnstudio summary``: the layer table of a model, its memory needs and advice."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_ERROR, EXIT_OK
from cnnstudio.core.errors import ConfigError


def add_command(commands: Any) -> None:
    """Add the ``summary`` sub-command."""
    summary = commands.add_parser("summary", help="layer table of a model, with advice")
    source = summary.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME")
    source.add_argument("--config", metavar="FILE")
    summary.add_argument("--classes", type=int, default=2, help="number of classes (default 2)")
    summary.add_argument("--head", metavar="ID", help="the head whose layers end the table (default: the config's, else classification)")
    summary.set_defaults(handler=cmd_summary)


def cmd_summary(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio summary``."""
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
    config, size_line = input_size_for_data(config, num_classes, head_spec.build, get_plugin_manager())
    summary = summarize(config.model, num_classes, config.head.options, head_build=head_spec.build)
    print(f"Model {config.model.preset!r} with the {head_id} head for {num_classes} classes, "
          f"{config.model.input_size}x{config.model.input_size} input")
    if size_line:
        print(size_line)
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


def input_size_for_data(config: Any, num_classes: int, head_build: Any, manager: Any) -> tuple[Any, str]:
    """``config`` with model.input_size as training will use it on the config's dataset, and a line saying
    that it follows the images, or by what factor it shrinks them and what keeping them costs ("" when neither).
    Nothing is loaded: a folder's image size comes from its files' headers."""
    from dataclasses import replace

    from cnnstudio.core.errors import CNNStudioError
    from cnnstudio.core.model.input_size import followed_input_size, shrink_note
    from cnnstudio.core.model.memory_budget import dataset_figures

    try:
        spec = manager.dataset(config.dataset.id)
        options = spec.resolve_options(config.dataset.options)
        _, size, _ = dataset_figures(spec, options)
    except (CNNStudioError, OSError):
        return config, ""
    followed = followed_input_size(config.model.input_size, options.get("size"), size)
    if followed is not None:
        config = replace(config, model=replace(config.model, input_size=followed))
        return config, (f"model.input_size follows the images of {config.dataset.id} ({followed} px, "
                        f"dataset.options.size = \"auto\"); set model.input_size to choose another size")
    return config, shrink_note(config.model, size, num_classes, head_build, config.head.options)
