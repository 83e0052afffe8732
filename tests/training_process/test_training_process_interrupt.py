"""Stopping and killing a training child: the parent survives and the checkpoints stay usable."""

from __future__ import annotations

from training_process_helpers import assert_no_children_left, collect, tiny_retail_config

from cnnstudio.app.training_process import StandbyProcess, TrainingProcess
from cnnstudio.core.events import CheckpointWritten, RunFailed, RunFinished, RunStarted
from cnnstudio.core.runs.folder import RunFolder


def is_last_checkpoint(event) -> bool:
    return isinstance(event, CheckpointWritten) and event.kind == "last"


def test_training_process_stop_request_finishes_cancelled_with_a_last_checkpoint(tmp_path):
    standby = StandbyProcess()  # the GUI spawns one ahead of time; the run then starts in it
    process = TrainingProcess(tiny_retail_config(epochs=200), runs_root=tmp_path, threads=1)
    waiting = standby.pid
    process.start(standby)
    assert process.pid == waiting and not standby.is_alive  # taken over, not spawned again
    try:
        events = collect(process, is_last_checkpoint)
        process.request_stop()
        events += collect(process, lambda e: isinstance(e, (RunFinished, RunFailed)), timeout=30)
        process.close()
    finally:
        process.close()
    assert_no_children_left()
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.reason == "cancelled", finished
    assert 1 <= finished.epochs_run < 200
    assert process.exitcode == 0
    run = RunFolder(finished.run_dir)
    assert run.weights_path("last").exists()
    assert run.load_weights("last")  # a readable state_dict
    assert run.read_info()["status"] == "cancelled"


def test_training_process_killed_child_gives_one_synthetic_failure_and_keeps_the_checkpoint(tmp_path):
    process = TrainingProcess(tiny_retail_config(epochs=200), runs_root=tmp_path, threads=1)
    process.start()
    try:
        events = collect(process, is_last_checkpoint)
        process.kill()
        events += collect(process, lambda e: isinstance(e, RunFailed), timeout=30)
        later = [event for _ in range(5) for event in process.poll()]
    finally:
        process.close()
    assert_no_children_left()
    run_dir = next(e for e in events if isinstance(e, RunStarted)).run_dir
    failures = [e for e in events + later if isinstance(e, (RunFailed, RunFinished))]
    assert len(failures) == 1 and later == []
    failure = failures[0]
    assert process.exitcode == -9 and not process.is_alive
    assert failure.message == (
        f"the training process stopped unexpectedly (exit code -9); the last checkpoint is kept in {run_dir}: "
        "Resume it from the Runs tab"
    )
    assert failure.run_dir == run_dir == process.run_dir and process.final_event is failure
    model_weights = RunFolder(run_dir).load_weights("last")
    assert model_weights and all(tensor.numel() for tensor in model_weights.values())
