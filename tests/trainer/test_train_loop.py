"""The Trainer's loop: events, run files, stopping, early stopping, NaN, determinism, resume."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from trainer_helpers import squares_imageset, tiny_config

from cnnstudio.core.config import replace_nested
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.errors import ConfigError, TrainingError
from cnnstudio.core.events import (
    Advice,
    BatchEnded,
    CheckpointWritten,
    EpochEnded,
    RunFailed,
    RunFinished,
    RunStarted,
    Snapshot,
)
from cnnstudio.core.model.heads import ClassificationHead
from cnnstudio.core.model.presets import apply_preset
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.specs import HeadSpec
from cnnstudio.core.train.trainer import Trainer


def test_events_arrive_in_order_with_epoch_metrics(tmp_path, squares, head_spec, recorder):
    finished = Trainer(tiny_config(epochs=2), squares, head_spec, tmp_path / "run", observers=[recorder],
                       batch_event_every=2).fit()

    names = recorder.names()
    assert names[:2] == ["RunStarted", "Snapshot"] and names[-1] == "RunFinished"
    started = recorder.of(RunStarted)[0]
    assert started.class_names == ("bright", "dark") and started.start_epoch == 1 and started.epochs == 2
    assert started.num_train + started.num_val + started.num_test == len(squares)
    epoch_events = recorder.of(EpochEnded)
    assert [e.epoch for e in epoch_events] == [1, 2]
    for event in epoch_events:
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "val_macro_f1"} <= set(event.metrics)
        assert event.lr > 0 and event.seconds > 0 and event.images_per_s > 0
        after = names[recorder.events.index(event) + 1 :]
        assert after[:2] == ["Snapshot", "CheckpointWritten"]
    batches = recorder.of(BatchEnded)
    # The first batch, every second one and the last (a tiny batch never goes half a second unreported).
    assert batches and all(b.batch % 2 == 0 or b.batch in (1, b.num_batches) for b in batches)
    assert {b.epoch for b in batches if b.batch == 1} == {1, 2}
    assert {b.num_batches for b in batches} == {started.num_batches}
    assert [b.step for b in batches] == sorted(b.step for b in batches)
    assert recorder.of(CheckpointWritten)[0].kind == "last"
    assert finished.reason == "completed" and finished.epochs_run == 2
    assert {"val_accuracy", "val_loss", "test_accuracy", "test_loss"} <= set(finished.metrics)
    assert recorder.of(RunFinished)[0] == finished


def test_run_folder_holds_metrics_lines_checkpoints_and_summary(tmp_path, squares, head_spec):
    run_dir = tmp_path / "run"
    finished = Trainer(tiny_config(epochs=2), squares, head_spec, run_dir).fit()

    run = RunFolder(run_dir)
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [1, 2]
    assert all({"metrics", "lr", "seconds", "is_best"} <= set(r) for r in records)
    assert set(run.load_weights("best")) == set(run.load_weights("last"))
    assert run.load_config() == tiny_config(epochs=2)
    info = run.read_info()
    assert info["status"] == "finished" and info["class_names"] == ["bright", "dark"]
    assert sum(info["split_sizes"].values()) == len(squares)
    assert info["best_epoch"] == finished.best_epoch
    assert run.read_summary()["metrics"] == finished.metrics


def test_stop_requested_mid_epoch_cancels_and_keeps_a_loadable_checkpoint(tmp_path, squares, head_spec, recorder):
    run_dir = tmp_path / "run"
    finished = Trainer(tiny_config(epochs=3), squares, head_spec, run_dir, observers=[recorder],
                       stop_requested=lambda: len(recorder.of(BatchEnded)) >= 5, batch_event_every=1).fit()

    assert finished.reason == "cancelled" and finished.epochs_run == 1
    assert recorder.events[-1] == finished and recorder.of(RunFailed) == []
    assert recorder.of(CheckpointWritten)[-1].kind == "last"
    run = RunFolder(run_dir)
    assert run.status == "cancelled"
    assert run.load_state()["partial_epoch"] is True
    assert set(run.load_weights("last"))


def test_patience_stops_training_early_when_validation_stops_improving(tmp_path, head_spec):
    noise = squares_imageset(96)
    noise = ImageSet(noise.images, torch.randperm(96, generator=torch.Generator().manual_seed(1)) % 2,
                     noise.class_names, name="noise")  # labels unrelated to the images
    finished = Trainer(tiny_config(epochs=12, patience=1, lr=0.05), noise, head_spec, tmp_path / "run").fit()

    assert finished.reason == "early_stopped"
    assert finished.epochs_run < 12 and finished.epochs_run == finished.best_epoch + 1


class InfiniteLossHead(ClassificationHead):
    def loss(self, outputs, targets):
        return super().loss(outputs, targets) * float("inf")


def test_infinite_loss_fails_the_run_naming_the_learning_rate(tmp_path, squares, recorder):
    spec = HeadSpec("inf", "Inf", lambda shape, n, options: InfiniteLossHead(shape, n, options.get("global_pool", "none")))
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"infinite at epoch 1, batch 1: the learning rate 0.01 is probably too high; try 0.001"):
        Trainer(tiny_config(), squares, spec, run_dir, observers=[recorder]).fit()

    failed = recorder.of(RunFailed)
    assert len(failed) == 1 and "learning rate" in failed[0].message and "TrainingError" in failed[0].traceback
    assert RunFolder(run_dir).status == "failed"


def test_a_model_that_cannot_be_built_is_refused_before_anything_is_written(tmp_path, squares, head_spec):
    config = replace_nested(tiny_config(), **{"model.input_size": 4})  # two pools leave a 1x1 map, then nothing
    config.model.conv_layers.append(dataclasses.replace(config.model.conv_layers[0], pool=True))
    with pytest.raises(ConfigError):
        Trainer(config, squares, head_spec, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def _epoch_numbers(run_dir):
    return [(r["epoch"], r["metrics"], r["lr"], r["step"]) for r in RunFolder(run_dir).read_metrics()]


def test_same_config_and_seed_give_identical_numbers(tmp_path, squares, head_spec):
    config = replace_nested(tiny_config(epochs=2), **{"model.dropout": 0.25})
    for name in ("a", "b"):
        Trainer(config, squares, head_spec, tmp_path / name).fit()
    assert _epoch_numbers(tmp_path / "a") == _epoch_numbers(tmp_path / "b")
    assert RunFolder(tmp_path / "a").read_summary()["metrics"] == RunFolder(tmp_path / "b").read_summary()["metrics"]


def test_resumed_run_continues_the_uninterrupted_curve_exactly(tmp_path, squares, head_spec, recorder):
    config = replace_nested(tiny_config(epochs=4), **{"model.dropout": 0.25, "training.patience": 3})
    Trainer(config, squares, head_spec, tmp_path / "whole").fit()

    stop_after_two = lambda: any(e.epoch == 2 for e in recorder.of(EpochEnded))  # noqa: E731
    first = Trainer(config, squares, head_spec, tmp_path / "split", observers=[recorder], stop_requested=stop_after_two).fit()
    assert first.reason == "cancelled" and first.epochs_run == 2
    assert RunFolder(tmp_path / "split").load_state()["partial_epoch"] is False

    resumed_events = []
    second = Trainer.resume(tmp_path / "split", squares, head_spec, observers=[resumed_events.append]).fit()
    assert resumed_events[0].start_epoch == 3 and second.reason == "completed" and second.epochs_run == 4
    assert _epoch_numbers(tmp_path / "split") == _epoch_numbers(tmp_path / "whole")
    assert second.metrics == RunFolder(tmp_path / "whole").read_summary()["metrics"]


def test_resume_with_more_epochs_extends_a_finished_run(tmp_path, squares, head_spec):
    Trainer(tiny_config(epochs=1), squares, head_spec, tmp_path / "run").fit()
    with pytest.raises(ConfigError, match="already trained 1 of training.epochs = 1"):
        Trainer.resume(tmp_path / "run", squares, head_spec)
    finished = Trainer.resume(tmp_path / "run", squares, head_spec, epochs=2).fit()
    assert finished.epochs_run == 2 and [r["epoch"] for r in RunFolder(tmp_path / "run").read_metrics()] == [1, 2]
    assert RunFolder(tmp_path / "run").load_config().training.epochs == 2


def test_seed_model_learns_an_easy_task(tmp_path, head_spec):
    images = squares_imageset(128, size=32, seed=5)
    config = apply_preset(tiny_config(epochs=3), "seed")
    assert config.model.input_size == 32 and config.model.global_pool == "none"
    finished = Trainer(config, images, head_spec, tmp_path / "run").fit()
    assert finished.metrics["val_accuracy"] >= 0.9 and finished.metrics["test_accuracy"] >= 0.9


def test_snapshots_carry_every_conv_filter_and_feature_maps_of_fixed_images(tmp_path, squares, head_spec, recorder):
    Trainer(tiny_config(epochs=2), squares, head_spec, tmp_path / "run", observers=[recorder], snapshot_images=4).fit()

    snapshots = recorder.of(Snapshot)
    assert [s.epoch for s in snapshots] == [0, 1, 2]
    for snapshot in snapshots:
        assert {k: v.shape for k, v in snapshot.filters.items()} == {"conv1": (4, 3, 3, 3), "conv2": (8, 4, 3, 3)}
        assert {k: v.shape for k, v in snapshot.feature_maps.items()} == {"conv1": (4, 4, 16, 16), "conv2": (4, 8, 8, 8)}
        assert all(v.dtype == np.float32 for v in [*snapshot.filters.values(), *snapshot.feature_maps.values()])
        assert snapshot.images.shape == (4, 3, 16, 16) and snapshot.images.dtype == np.uint8
        assert sorted(snapshot.labels) == [0, 0, 1, 1]
        np.testing.assert_array_equal(snapshot.images, snapshots[0].images)
    assert not np.array_equal(snapshots[0].filters["conv1"], snapshots[-1].filters["conv1"])
    assert (snapshots[-1].feature_maps["conv1"] >= 0).all()  # taken after the ReLU


def test_an_observer_that_raises_does_not_stop_training(tmp_path, squares, head_spec, recorder):
    def broken(event):
        raise RuntimeError("observer bug")

    finished = Trainer(tiny_config(epochs=1), squares, head_spec, tmp_path / "run", observers=[broken, recorder]).fit()
    assert finished.reason == "completed" and recorder.events[-1] == finished


def test_overfitting_advice_is_emitted_once_when_it_starts(tmp_path, head_spec, recorder):
    noise = squares_imageset(64)
    noise = ImageSet(noise.images, torch.randperm(64, generator=torch.Generator().manual_seed(2)) % 2,
                     noise.class_names, name="noise")
    config = replace_nested(tiny_config(epochs=12, lr=0.03), **{
        "training.augment_flip": False, "training.augment_shift": False, "training.lr_schedule": "constant",
        "model.conv_layers": [{"out_channels": 16}, {"out_channels": 16, "pool": True}], "model.global_pool": "none",
    })
    Trainer(config, noise, head_spec, tmp_path / "run", observers=[recorder]).fit()
    advice = recorder.of(Advice)
    assert len(advice) == 1 and advice[0].code == "overfitting" and "Over-fitting" in advice[0].message
