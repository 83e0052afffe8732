"""The TensorBoard plugin: event files that match metrics.jsonl, nothing when off, a warning when missing."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from tiny_runs import train_tiny_run

from cnnstudio.cli.main import main
from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.runs.folder import RunFolder


def train(base: Path, *flags: str) -> Path:
    """A tiny manufacturing.surfaces run (120 images of 16 px, 2 epochs) trained through the CLI; its run folder."""
    return train_tiny_run(base, "manufacturing.surfaces", seed=1, conv_filters=(4, 8), epochs=2, batch_size=32,
                          cli_args=flags)


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory) -> Path:
    """Trained 2 epochs with --tensorboard, then resumed to epoch 3 (the resume appends)."""
    run = train(tmp_path_factory.mktemp("tensorboard_on"), "--tensorboard")
    assert main(["resume", str(run), "--epochs", "3", "--no-progress"]) == 0
    return run


def accumulator(run: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = run / "tensorboard"
    assert folder.is_dir()
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    return events


def test_epoch_scalars_equal_metrics_jsonl_across_a_resume(logged_run):
    records = RunFolder(logged_run).read_metrics()
    assert [record["epoch"] for record in records] == [1, 2, 3]
    events = accumulator(logged_run)
    scalars = events.Tags()["scalars"]
    assert len(list((logged_run / "tensorboard").glob("events.out.tfevents.*"))) == 2  # one per session
    for name in records[0]["metrics"]:
        points = events.Scalars(f"epoch/{name}")
        assert [point.step for point in points] == [1, 2, 3], name
        expected = [record["metrics"][name] for record in records]
        assert [point.value for point in points] == pytest.approx(expected, rel=1e-6, abs=1e-7), name
    assert "epoch/val_auc" in scalars  # the heat-map head's own metric is there too
    assert [point.value for point in events.Scalars("epoch/lr")] == pytest.approx([r["lr"] for r in records])


def test_batch_loss_filters_and_config_are_logged(logged_run):
    events = accumulator(logged_run)
    losses = events.Scalars("batch/train_loss")
    steps = [point.step for point in losses]
    assert steps == sorted(steps) and len(set(steps)) == len(steps) and steps[-1] == RunFolder(logged_run).read_metrics()[-1]["step"]
    (tag,) = events.Tags()["images"]
    assert tag == "filters/conv1"
    images = events.Images(tag)
    assert [image.step for image in images] == [0, 1, 2, 3]  # 0: the random start; the resume adds no repeat
    assert images[-1].width > 4 and images[-1].height > 4
    text = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "manufacturing.surfaces" in text and '"tensorboard": true' in text


def test_no_folder_when_turned_off(tmp_path):
    run = train(tmp_path, "--epochs", "1")
    assert RunFolder(run).load_config().training.tensorboard is False
    assert not (run / "tensorboard").exists()


def test_missing_tensorboard_warns_once_and_training_goes_on(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` now raises ImportError
    with caplog.at_level(logging.WARNING, logger="cnnstudio.tensorboard"):
        run = train(tmp_path, "--tensorboard", "--epochs", "1")
    warnings = [record.getMessage() for record in caplog.records if record.name == "cnnstudio.tensorboard"]
    assert len(warnings) == 1
    assert "training.tensorboard is on" in warnings[0] and "pip install tensorboard" in warnings[0]
    assert RunFolder(run).read_summary()["reason"] == "completed"
    assert not (run / "tensorboard").exists()


def test_plugin_is_listed_by_cnnstudio_plugins(capsys):
    assert main(["plugins"]) == 0
    assert "tensorboard_logger" in capsys.readouterr().out


def test_tensorboard_field_is_validated_like_the_other_booleans():
    config = RunConfig()
    config.training.tensorboard = "yes"
    with pytest.raises(ConfigError, match="training.tensorboard"):
        config.validate()
    assert RunConfig.from_dict({"training": {"tensorboard": True}}).training.tensorboard is True
