"""training.precision: mixed precision trains and is recorded; fp16 off a CUDA GPU is refused in words."""

from __future__ import annotations

import json

import pytest
import torch
from trainer_helpers import squares_imageset, tiny_config

from cnnstudio.core.config import RunConfig, replace_nested
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.train.trainer import Trainer


def test_bf16_autocast_trains_a_model_with_fp32_weights_and_records_it(tmp_path, head_spec):
    run_dir = tmp_path / "run"
    config = replace_nested(tiny_config(epochs=2), **{"training.precision": "bf16"})
    finished = Trainer(config, squares_imageset(), head_spec, run_dir).fit()

    assert finished.reason == "completed"
    info = json.loads((run_dir / "run.json").read_text())
    assert info["precision"] == "bf16" and info["world_size"] == 1 and info["batches"] == "cpu"
    weights = RunFolder(run_dir).load_weights("best")
    assert all(w.dtype in (torch.float32, torch.int64) for w in weights.values())  # exports read it as any run
    assert all(torch.isfinite(w.float()).all() for w in weights.values())
    assert finished.metrics["val_accuracy"] > 0.5  # the squares are easy: it learnt, in bf16


def test_fp16_needs_a_cuda_gpu_and_says_so_before_anything_is_written(tmp_path, head_spec):
    config = replace_nested(tiny_config(), **{"training.precision": "fp16"})
    with pytest.raises(ConfigError, match='training.precision = "fp16" needs a CUDA GPU'):
        Trainer(config, squares_imageset(), head_spec, tmp_path / "run").fit()
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_an_unknown_precision_names_the_field_and_the_choices():
    with pytest.raises(ConfigError, match="training.precision"):
        replace_nested(RunConfig(), **{"training.precision": "fp8"})
