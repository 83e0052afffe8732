"""The runner: plugins' datasets and heads feeding the Trainer, end to end."""

from __future__ import annotations

import textwrap

import pytest
from trainer_helpers import tiny_config

from cnnstudio.app.runner import evaluate_run, prepare, resume_run, train_run
from cnnstudio.core.config import replace_nested
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.events import EpochEnded, RunFinished
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.host.manager import StudioPluginManager

PLUGIN = textwrap.dedent('''
    """Test plugin: a tiny squares dataset, a defect-only head and an event logger."""
    from pathlib import Path

    from cnnstudio.plugin_api import DatasetOption, DatasetSpec, HeadSpec, hookimpl

    LOG = Path(__file__).with_name("events.log")

    def load(options):
        import torch
        from cnnstudio.plugin_api import ImageSet
        count = options["count"]
        g = torch.Generator().manual_seed(0)
        labels = torch.arange(count) % 2
        images = torch.randint(90, 166, (count, 3, 16, 16), generator=g).to(torch.uint8)
        images[labels == 0, :, 4:12, 4:12] = 230
        images[labels == 1, :, 4:12, 4:12] = 25
        return ImageSet(images, labels, ["bright", "dark"], name="squares")

    def build_defect_head(shape, n, options):
        raise AssertionError("never built in these tests")

    @hookimpl
    def cnnstudio_datasets():
        return [DatasetSpec("test.squares", "Squares", "tests", "bright vs dark squares", load,
                            options=(DatasetOption("count", 96, minimum=8),))]

    @hookimpl
    def cnnstudio_heads():
        return [HeadSpec("test.defect_map", "Defect map", build_defect_head, tasks=("defect",))]

    @hookimpl
    def cnnstudio_on_event(event):
        with open(LOG, "a") as handle:
            print(type(event).__name__, file=handle)
''')


@pytest.fixture
def manager(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "squares_plugin.py").write_text(PLUGIN)
    manager = StudioPluginManager(builtins=False, entry_points=False, folders=[folder], third_party=True)
    assert not manager.failures, manager.failures
    return manager


def squares_config(**changes):
    config = replace_nested(tiny_config(epochs=2), **{"dataset.id": "test.squares", "dataset.options": {"count": 64}})
    return replace_nested(config, **changes) if changes else config


def test_train_run_creates_a_run_folder_and_feeds_plugin_observers(tmp_path, manager):
    events = []
    finished = train_run(squares_config(), runs_root=tmp_path / "runs", observers=[events.append], manager=manager)

    assert isinstance(finished, RunFinished) and finished.reason == "completed"
    run = RunFolder(finished.run_dir)
    assert run.path.parent == tmp_path / "runs" and run.path.name.endswith("test.squares-tiny")
    info = run.read_info()
    assert info["dataset_id"] == "test.squares" and info["dataset_options"] == {"count": 64}
    assert info["head_id"] == "classification" and info["split_sizes"]["train"] == 40
    seen = (tmp_path / "plugins" / "events.log").read_text().split()
    assert seen[0] == "RunStarted" and seen[-1] == "RunFinished"
    assert [type(e).__name__ for e in events] == seen

    report = evaluate_run(run.path, split="val", manager=manager)
    assert report.num_images == info["split_sizes"]["val"] and report.accuracy == finished.metrics["val_accuracy"]


def test_resume_run_continues_a_cancelled_run(tmp_path, manager):
    events = []
    stop = lambda: any(isinstance(e, EpochEnded) for e in events)  # noqa: E731
    first = train_run(squares_config(), run_dir=tmp_path / "run", observers=[events.append], stop_requested=stop,
                      manager=manager)
    assert first.reason == "cancelled" and first.epochs_run == 1
    finished = resume_run(tmp_path / "run", epochs=3, manager=manager)
    assert finished.reason == "completed" and finished.epochs_run == 3
    assert [r["epoch"] for r in RunFolder(tmp_path / "run").read_metrics()] == [1, 2, 3]


def test_a_head_that_cannot_serve_the_dataset_task_is_a_config_error(manager):
    with pytest.raises(ConfigError, match=r"head.id 'test.defect_map' cannot serve a 'classification' dataset; compatible heads: classification"):
        prepare(squares_config(**{"head.id": "test.defect_map"}), manager)


def test_unknown_dataset_options_are_config_errors(manager):
    with pytest.raises(ConfigError, match="dataset.options.size is not an option of test.squares"):
        prepare(squares_config(**{"dataset.options": {"size": 3}}), manager)
