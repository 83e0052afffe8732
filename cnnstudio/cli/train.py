"""``cnnstudio train``: train a model on a dataset; the run config comes from --config, --preset and the flags."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from cnnstudio.cli.flags import training_flags
from cnnstudio.cli.training import run_training
from cnnstudio.core.errors import CNNStudioError, ConfigError


def add_command(commands: Any) -> None:
    """Add the ``train`` sub-command."""
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


def cmd_train(args: argparse.Namespace) -> int:
    """Handler of ``cnnstudio train``."""
    config = build_train_config(args)
    from cnnstudio.host.manager import get_plugin_manager

    # Cheap checks first, so a wrong id, folder or option fails before torch loads.
    get_plugin_manager().dataset(config.dataset.id).resolve_options(config.dataset.options)
    from cnnstudio.app.runner import train_run

    runs_root = Path(args.out).expanduser().resolve() if args.out else None
    return run_training(args, lambda **kw: train_run(config, runs_root=runs_root, **kw))


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
