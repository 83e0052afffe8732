"""Shared configs and a polling loop for the training-process tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from cnnstudio.app.training_process import TrainingProcess
from cnnstudio.core.config import ConvLayer, DatasetConfig, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.events import Event, RunFailed, RunFinished


def tiny_retail_config(epochs: int = 2, dataset_id: str = "retail.products") -> RunConfig:
    """200 retail images of 16x16 pixels and a two-layer model: an epoch takes well under a second."""
    model = ModelConfig(
        preset="tiny", input_size=16, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
        global_pool="avg",
    )
    training = TrainingConfig(epochs=epochs, batch_size=16, lr=0.01, val_fraction=0.2, test_fraction=0.1)
    dataset = DatasetConfig(dataset_id, {"count": 200, "size": 16})
    return RunConfig(dataset=dataset, model=model, training=training, seed=1, device="cpu", threads=1)


def huge_retail_config() -> RunConfig:
    """A deliberately huge model: 1,000 filters in conv2 on 80x80 images (about 0.9 GFLOPs per image).

    One batch of 16 takes seconds on this project's 2-core CPU and an epoch minutes, so Stop lands
    inside a batch, and the trainer warns about the epoch's length at the start. At 128 px its
    validation batches would not fit in memory, and the memory budget refuses it. Threads are left
    to the default.
    """
    model = ModelConfig(
        preset="huge", input_size=80, conv_layers=[ConvLayer(8), ConvLayer(1000, pool=True)], global_pool="max",
    )
    training = TrainingConfig(epochs=2, batch_size=16, lr=0.001, val_fraction=0.2, test_fraction=0.1)
    dataset = DatasetConfig("retail.products", {"count": 1000, "size": 32})
    return RunConfig(dataset=dataset, model=model, training=training, seed=1, device="cpu")


def is_terminal(event: Event) -> bool:
    return isinstance(event, (RunFinished, RunFailed))


def collect(
    process: TrainingProcess, until: Callable[[Event], bool], timeout: float = 60.0
) -> list[Event]:
    """Poll ``process`` like the GUI's timer does until an event satisfies ``until``; every event seen, in order."""
    events: list[Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = process.poll()
        events.extend(batch)
        if any(until(event) for event in batch):
            return events
        time.sleep(0.02)
    raise AssertionError(f"no awaited event within {timeout} s; got {[type(e).__name__ for e in events]}")


def assert_no_children_left() -> None:
    """Every child this test spawned has exited and been reaped."""
    import multiprocessing

    left = multiprocessing.active_children()
    assert not left, f"children still running: {left}"
