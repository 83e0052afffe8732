"""A training run in a spawned child process, driven the way the GUI's timer drives it."""

from __future__ import annotations

import numpy as np
from training_process_helpers import assert_no_children_left, collect, tiny_retail_config

from cnnstudio.app.training_process import StandbyProcess, TrainingProcess
from cnnstudio.core.events import (
    BatchEnded,
    CheckpointWritten,
    EpochEnded,
    RunFailed,
    RunFinished,
    RunStarted,
    Snapshot,
)
from cnnstudio.core.runs.folder import RunFolder


def first_index(events: list, match) -> int:
    return next(i for i, event in enumerate(events) if match(event))


def test_training_process_delivers_a_whole_run_in_order_and_leaves_its_folder(tmp_path):
    process = TrainingProcess(tiny_retail_config(epochs=2), runs_root=tmp_path, threads=1)
    assert process.poll() == [] and process.run_dir == ""  # not started: nothing to read
    process.start()
    try:
        assert process.poll() == []  # the child is still importing torch; poll returns at once
        events = collect(process, lambda e: isinstance(e, (RunFinished, RunFailed)))
        process.close()
        assert process.poll() == []  # no synthetic failure after a real finish
    finally:
        process.close()
    assert_no_children_left()

    assert isinstance(events[0], RunStarted), events[0]
    started, finished = events[0], events[-1]
    assert isinstance(finished, RunFinished) and finished.reason == "completed" and finished.epochs_run == 2
    assert started.threads == 1 and started.epochs == 2 and len(started.class_names) >= 2
    assert process.run_dir == started.run_dir == finished.run_dir
    assert process.final_event is finished and process.exitcode == 0 and not process.is_alive

    batch = first_index(events, lambda e: isinstance(e, BatchEnded))
    epoch = first_index(events, lambda e: isinstance(e, EpochEnded) and e.epoch == 1)
    snapshot = first_index(events, lambda e: isinstance(e, Snapshot) and e.epoch == 1)
    checkpoint = first_index(events, lambda e: isinstance(e, CheckpointWritten) and e.epoch == 1)
    assert 0 < batch < epoch < snapshot < checkpoint < len(events) - 1
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [1, 2]
    assert 0.0 <= events[epoch].metrics["val_accuracy"] <= 1.0

    shot = events[snapshot]
    assert shot.filters and shot.feature_maps
    for weights in shot.filters.values():
        assert isinstance(weights, np.ndarray) and weights.ndim == 4
    for maps in shot.feature_maps.values():
        assert isinstance(maps, np.ndarray) and maps.shape[0] == shot.images.shape[0]
    assert shot.images.dtype == np.uint8 and shot.images.shape[1:] == (3, 16, 16)

    run = RunFolder(started.run_dir)
    assert run.weights_path("best").exists() and run.weights_path("last").exists()
    assert [record["epoch"] for record in run.read_metrics()] == [1, 2]


def test_training_process_reports_a_bad_dataset_id_as_a_readable_failure(tmp_path):
    process = TrainingProcess(tiny_retail_config(dataset_id="retail.nonexistent"), runs_root=tmp_path, threads=1)
    process.start()
    try:
        events = collect(process, lambda e: isinstance(e, (RunFinished, RunFailed)))
        process.close()
        later = process.poll()
    finally:
        process.close()
    assert_no_children_left()
    failures = [e for e in events if isinstance(e, RunFailed)]
    assert len(failures) == 1 and events[-1] is failures[0] and later == []
    assert "unknown dataset 'retail.nonexistent'" in failures[0].message
    assert "retail.products" in failures[0].message  # it lists the known ones
    assert process.exitcode == 1
    assert not any(tmp_path.iterdir())  # nothing was created for a run that never started


def test_training_process_unused_standby_ends_its_child_when_closed():
    standby = StandbyProcess()
    child = standby._child.process
    assert standby.is_alive
    standby.close()
    assert not child.is_alive() and not standby.is_alive and standby.pid is None
