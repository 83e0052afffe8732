"""Tiny runs for the tests, trained through ``cnnstudio train`` as a person would.

Importable from every test folder as ``from tiny_runs import ...`` (pytest puts
``tests/`` on ``sys.path`` because ``tests/conftest.py`` lives there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def tiny_config_toml(
    dataset: str | None = None,
    *,
    seed: int = 3,
    count: int = 120,
    size: int = 16,
    input_size: int | None = None,
    conv_filters: Sequence[int] = (8, 16),
    pooling: str | None = None,
    epochs: int = 1,
    batch_size: int = 16,
    test_fraction: float = 0.1,
    options: Mapping[str, Any] | None = None,
    extra_toml: str = "",
) -> str:
    """The TOML text of a tiny CPU, one-thread run config.

    ``dataset`` (when given) is written as ``[dataset] id``, so ``count``, ``size`` and the
    other dataset ``options`` apply to it (``--dataset`` with another id would drop them).
    ``input_size`` defaults to ``size``; ``conv_filters`` are pooled conv layers; ``extra_toml``
    is appended after the ``[training]`` keys (``lr = 0.01``, or whole new tables).
    """
    all_options = {"count": count, "size": size, **(options or {})}
    dataset_lines = ([f"id = {_toml_value(dataset)}"] if dataset else []) + [
        "options = { " + ", ".join(f"{key} = {_toml_value(value)}" for key, value in all_options.items()) + " }"
    ]
    layers = ", ".join(f"{{ out_channels = {filters}, pool = true }}" for filters in conv_filters)
    model_lines = [f"input_size = {input_size or size}"]
    if pooling is not None:
        model_lines.append(f"pooling = {_toml_value(pooling)}")
    model_lines.append(f"conv_layers = [ {layers} ]")
    return "\n".join([
        f"seed = {seed}", 'device = "cpu"', "threads = 1", "",
        "[dataset]", *dataset_lines, "",
        "[model]", *model_lines, "",
        "[training]", f"epochs = {epochs}", f"batch_size = {batch_size}", f"test_fraction = {test_fraction}",
    ]) + "\n" + extra_toml


def train_tiny_run(
    base: Path,
    dataset: str,
    *,
    config_name: str = "tiny",
    out: Path | None = None,
    cli_args: Sequence[str] = (),
    **settings: Any,
) -> Path:
    """Write ``tiny_config_toml(dataset, **settings)`` to ``base/<config_name>.toml``, train it with
    ``cnnstudio train --config ... --out OUT --no-progress *cli_args`` (OUT: ``out`` or ``base/runs``),
    assert exit code 0 and return the one run folder that training added to OUT."""
    from cnnstudio.cli.main import main

    base.mkdir(parents=True, exist_ok=True)
    config = base / f"{config_name}.toml"
    config.write_text(tiny_config_toml(dataset, **settings), encoding="utf-8")
    out = base / "runs" if out is None else out
    before = set(out.iterdir()) if out.exists() else set()
    assert main(["train", "--config", str(config), "--out", str(out), "--no-progress", *cli_args]) == 0
    (run,) = set(out.iterdir()) - before
    return run


def validation_predictions(run: Path) -> tuple[list[dict], np.ndarray]:
    """What `cnnstudio predict` decides for each validation image of ``run``, and whether each is truly not class 0."""
    from cnnstudio.app.runner import load_run_model, prepare
    from cnnstudio.core.evaluate.evaluation import split_indices

    model = load_run_model(run)
    _, imageset, _ = prepare(model.config)
    indices = split_indices(model.config.training, model.config.seed, imageset.labels, "val")
    subset = imageset.subset(indices)
    return model.predict_images(subset.images), subset.labels.numpy() != 0
