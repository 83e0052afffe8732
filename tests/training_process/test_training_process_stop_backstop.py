"""Stop answers within seconds even on a huge model; a child that does not answer is killed, and the
run is still reported cancelled with its last checkpoint intact."""

from __future__ import annotations

import time

from training_process_helpers import (
    assert_no_children_left,
    collect,
    huge_retail_config,
    is_terminal,
    tiny_retail_config,
)

from cnnstudio.app import training_process
from cnnstudio.app.training_process import TrainingProcess
from cnnstudio.core.events import Advice, BatchEnded, CheckpointWritten, RunFinished
from cnnstudio.core.runs.folder import RunFolder


def test_stop_inside_the_first_batch_of_a_huge_model_ends_the_run_cancelled_within_seconds(tmp_path):
    process = TrainingProcess(huge_retail_config(), runs_root=tmp_path)
    process.start()
    try:
        # The estimate comes right before the first batch: from here on a batch is under way.
        events = collect(process, lambda e: isinstance(e, Advice) and e.code == "slow_epoch", timeout=90)
        asked = time.monotonic()
        process.request_stop()
        events += collect(process, is_terminal, timeout=15)
        answered = time.monotonic() - asked
    finally:
        process.close()
    assert_no_children_left()
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.reason == "cancelled", finished
    assert answered < 15  # a batch of this model takes far longer than a second or two; an epoch minutes
    assert finished.epochs_run == 0 and not any(isinstance(e, BatchEnded) for e in events)
    warning = next(e.message for e in events if isinstance(e, Advice) and e.code == "slow_epoch")
    assert warning.startswith("One epoch will take about ") and "1,000 filters in conv2" in warning
    run = RunFolder(finished.run_dir)
    assert run.status == "cancelled" and run.read_summary()["reason"] == "cancelled"


def test_a_child_that_does_not_answer_stop_is_killed_and_the_run_reported_cancelled(tmp_path, monkeypatch):
    monkeypatch.setattr(training_process, "STOP_GRACE_S", 0.0)  # as if its current layer took longer than the grace
    process = TrainingProcess(tiny_retail_config(epochs=200), runs_root=tmp_path, threads=1)
    process.start()
    try:
        events = collect(process, lambda e: isinstance(e, CheckpointWritten) and e.kind == "last" and e.epoch >= 2)
        process.request_stop()
        events += collect(process, is_terminal, timeout=30)
        later = [event for _ in range(5) for event in process.poll()]
    finally:
        process.close()
    assert_no_children_left()
    finished = events[-1]
    assert process.exitcode == -9 and later == []
    assert isinstance(finished, RunFinished) and finished.reason == "cancelled", finished
    run = RunFolder(finished.run_dir)
    records = run.read_metrics()
    assert finished.epochs_run == records[-1]["epoch"] >= 2  # the epoch under way is left out
    assert finished.best_epoch == [r["epoch"] for r in records if r["is_best"]][-1]
    assert finished.metrics and all(name.startswith("val_") for name in finished.metrics)
    assert run.status == "cancelled"
    summary = run.read_summary()
    assert (summary["reason"], summary["epochs_run"], summary["metrics"]) == ("cancelled", finished.epochs_run,
                                                                               finished.metrics)
    weights = run.load_weights("last")
    assert weights and all(tensor.numel() for tensor in weights.values())
