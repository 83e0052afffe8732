"""The shared EvaluationLoader: one evaluation per run and split, re-done when the weights change, a bounded cache.

``runner.evaluate_run`` is replaced by a counting stand-in: what is tested
here is the loader's caching and threading, not the evaluation itself (the
Evaluate and Threshold view tests drive real evaluations through it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cnnstudio.gui.workers.evaluation_loader import MAX_REPORTS, EvaluationLoader


def fake_run(root: Path, name: str) -> str:
    weights = root / name / "weights" / "best.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    return str(root / name)


@pytest.fixture
def evaluations(monkeypatch, controller):
    calls: list[tuple[str, str]] = []

    def evaluate_run(run_dir, split="test", **_):
        calls.append((str(run_dir), split))
        time.sleep(0.05)  # long enough for a second request to arrive while this one runs
        return {"run": str(run_dir), "split": split, "call": len(calls)}

    monkeypatch.setattr("cnnstudio.app.runner.evaluate_run", evaluate_run)
    return EvaluationLoader(controller), calls


def test_a_run_is_evaluated_once_however_often_it_is_asked_for(evaluations, qtbot, tmp_path) -> None:
    loader, calls = evaluations
    run = fake_run(tmp_path, "a")
    answers = []
    loader.ready.connect(lambda *args: answers.append(args))
    loader.request(run, "val")
    loader.request(run, "val")  # while the first evaluation still runs
    qtbot.waitUntil(lambda: len(answers) == 1)
    loader.request(run, "val")  # now from the cache
    qtbot.waitUntil(lambda: len(answers) == 2)
    assert calls == [(run, "val")]
    assert answers[0][2] is answers[1][2] and answers[0][3] == ""


def test_new_weights_or_forget_mean_a_new_evaluation(evaluations, qtbot, tmp_path) -> None:
    loader, calls = evaluations
    run = fake_run(tmp_path, "a")
    answers = []
    loader.ready.connect(lambda *args: answers.append(args))
    loader.request(run, "val")
    qtbot.waitUntil(lambda: len(answers) == 1)
    weights = Path(run) / "weights" / "best.safetensors"
    later = weights.stat().st_mtime + 5
    os.utime(weights, (later, later))  # a new threshold or checkpoint rewrites the weights
    assert loader.cached(run, "val") is None
    loader.request(run, "val")
    qtbot.waitUntil(lambda: len(answers) == 2)
    loader.forget(run)
    assert loader.cached(run, "val") is None
    assert len(calls) == 2


def test_only_the_newest_reports_are_kept(evaluations, qtbot, tmp_path) -> None:
    loader, calls = evaluations
    runs = [fake_run(tmp_path, f"run{i}") for i in range(MAX_REPORTS + 2)]
    answers = []
    loader.ready.connect(lambda *args: answers.append(args))
    for count, run in enumerate(runs, start=1):
        loader.request(run, "test")
        qtbot.waitUntil(lambda count=count: len(answers) == count)
    kept = [run for run in runs if loader.cached(run, "test") is not None]
    assert kept == runs[-MAX_REPORTS:]


def test_a_failing_evaluation_answers_with_a_readable_error(monkeypatch, controller, qtbot, tmp_path) -> None:
    def broken(run_dir, **_):
        raise ValueError("weights have the wrong shape")

    monkeypatch.setattr("cnnstudio.app.runner.evaluate_run", broken)
    loader = EvaluationLoader(controller)
    run = fake_run(tmp_path, "broken")
    with qtbot.waitSignal(loader.ready) as signal:
        loader.request(run, "val")
    _, _, report, error = signal.args
    assert report is None and run in error and "wrong shape" in error
