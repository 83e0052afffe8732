"""Rare classes: balanced sampling draws them as often as common ones, and plain training is warned about."""

from __future__ import annotations

import torch
from trainer_helpers import Recorder, squares_imageset, tiny_config

from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.data.imbalance import imbalance_advice
from cnnstudio.core.data.sampling import epoch_order, inverse_frequency
from cnnstudio.core.events import Advice
from cnnstudio.core.model.builtin_heads import CLASSIFICATION_HEAD
from cnnstudio.core.train.trainer import Trainer


def imbalanced_squares(rare: int = 12, common: int = 108) -> ImageSet:
    data = squares_imageset(count=2 * common, seed=5)
    keep = torch.cat([torch.nonzero(data.labels == 0).flatten()[:common], torch.nonzero(data.labels == 1).flatten()[:rare]])
    return data.subset(keep)


def test_inverse_frequency_weights_average_one_and_favour_the_rare_class() -> None:
    weights = inverse_frequency(torch.tensor([90.0, 10.0, 0.0]))
    assert weights[2] == 0
    assert torch.isclose(weights[:2].mean(), torch.tensor(1.0))
    assert torch.isclose(weights[1] / weights[0], torch.tensor(9.0))


def test_balanced_sampling_draws_the_rare_class_about_half_the_time() -> None:
    labels = torch.tensor([0] * 90 + [1] * 10)
    weights = inverse_frequency(torch.bincount(labels).double())[labels]
    order = epoch_order(len(labels), weights, torch.Generator().manual_seed(0))
    assert len(order) == 100
    rare_share = (labels[order] == 1).float().mean().item()
    assert 0.38 < rare_share < 0.62  # about 1/2, against 1/10 in the data
    plain = epoch_order(len(labels), None, torch.Generator().manual_seed(0))
    assert sorted(plain.tolist()) == list(range(100))  # without weights: every image once


def test_a_run_with_balanced_sampling_trains_and_beats_the_majority_answer(tmp_path) -> None:
    config = tiny_config(epochs=4, balanced_sampling=True, test_fraction=0.0)
    finished = Trainer(config, imbalanced_squares(), CLASSIFICATION_HEAD, tmp_path / "run").fit()
    assert finished.metrics["val_macro_f1"] > 0.6  # always answering "bright" gives about 0.47


def test_training_on_imbalanced_classes_without_correction_is_warned(tmp_path) -> None:
    recorder = Recorder()
    config = tiny_config(epochs=1, class_balanced_loss=False)
    Trainer(config, imbalanced_squares(), CLASSIFICATION_HEAD, tmp_path / "run", observers=[recorder]).fit()
    advice = [e for e in recorder.events if isinstance(e, Advice) and e.code == "class_imbalance"]
    assert len(advice) == 1
    assert "'bright'" in advice[0].message and "class_balanced_loss" in advice[0].message


def test_no_imbalance_warning_when_the_loss_is_weighted_or_classes_are_even() -> None:
    assert imbalance_advice([90, 10], ["ok", "defect"], weighted_loss=True, balanced_sampling=False) is None
    assert imbalance_advice([90, 10], ["ok", "defect"], weighted_loss=False, balanced_sampling=True) is None
    assert imbalance_advice([50, 40], ["ok", "defect"], weighted_loss=False, balanced_sampling=False) is None
    message = imbalance_advice([90, 10], ["ok", "defect"], weighted_loss=False, balanced_sampling=False)
    assert "90%" in message  # what always answering "ok" scores
