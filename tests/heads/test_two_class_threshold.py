"""The classification head's threshold: two classes keep one (0.5 = the argmax), more classes have none,
and runs saved before it existed load and take one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tiny_runs import train_tiny_run

from cnnstudio.app.runner import load_run_model
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.threshold import run_threshold, set_run_threshold
from cnnstudio.core.model.heads import ClassificationHead


def test_two_classes_decide_at_the_threshold_and_half_is_the_argmax() -> None:
    head = ClassificationHead((4, 2, 2), 2)
    assert "threshold" in head.state_dict() and float(head.threshold) == 0.5
    outputs = head(torch.randn(64, 4, 2, 2, generator=torch.Generator().manual_seed(0)))
    predicted = head.predict(outputs)
    assert torch.equal(predicted["labels"], predicted["probabilities"].argmax(dim=1))
    assert torch.equal(predicted["score"], predicted["probabilities"][:, 1])
    head.set_threshold(0.8)
    predicted = head.predict(outputs)
    assert torch.equal(predicted["labels"], (predicted["score"] >= 0.8).long())
    with pytest.raises(ConfigError, match="between 0 and 1"):
        head.set_threshold(1.0)


def test_more_classes_have_no_threshold() -> None:
    head = ClassificationHead((4, 2, 2), 3)
    assert "threshold" not in head.state_dict() and "score" not in head.predict(torch.randn(2, 3))
    with pytest.raises(ConfigError, match="only a two-class one has a threshold"):
        head.set_threshold(0.3)


def test_a_run_saved_without_the_threshold_loads_with_half_and_can_be_given_one(tmp_path) -> None:
    run = train_tiny_run(tmp_path / "train", "retail.products")
    old = tmp_path / "old-run"
    shutil.copytree(run, old)
    for which in ("best", "last"):  # what a two-class run saved before the threshold existed holds
        path = old / "weights" / f"{which}.safetensors"
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
        weights = load_file(str(path))
        del weights["head.threshold"]
        save_file(weights, str(path), metadata=metadata)
    assert load_run_model(Path(old)).threshold == 0.5 and run_threshold(old) == 0.5
    set_run_threshold(old, 0.7)
    model = load_run_model(Path(old))
    assert model.threshold == pytest.approx(0.7)
    images = torch.randint(0, 256, (20, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    for entry in model.predict_images(images):
        assert entry["index"] == int(entry["score"] >= model.threshold)
