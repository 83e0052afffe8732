"""An app job in a spawned child: its return value, or its error as one line, never a parsed CLI line."""

from __future__ import annotations

import operator
import os
import time

import pytest

from cnnstudio.app.export_job import export_job
from cnnstudio.app.job_process import JobOutcome, JobProcess, run_job
from cnnstudio.core.errors import RunError


def outcome_of(job: JobProcess, timeout: float = 60.0) -> JobOutcome:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outcome = job.poll()
        if outcome is not None:
            return outcome
        time.sleep(0.05)
    job.kill()
    pytest.fail(f"the {job.title} job did not answer in {timeout} s")


def _raise_run_error(message: str) -> None:
    raise RunError(message)


def test_run_job_turns_each_kind_of_ending_into_an_outcome(tmp_path) -> None:
    assert run_job(operator.add, (2, 3), {}) == JobOutcome(result=5)
    expected = run_job(_raise_run_error, ("/x: run folder not found",), {})
    assert expected == JobOutcome(error="/x: run folder not found") and not expected.ok
    missing = run_job(os.listdir, (str(tmp_path / "gone"),), {})
    assert str(tmp_path / "gone") in missing.error and "No such file" in missing.error and not missing.traceback
    bug = run_job(int, ("not a number " * 100,), {})
    assert bug.error.startswith("internal error: ValueError: invalid literal") and "\n" not in bug.error
    assert len(bug.error) < 400 and "Traceback" in bug.traceback


def test_a_job_returns_its_value_from_the_child() -> None:
    job = JobProcess("sum", operator.add, 20, 22)
    job.start()
    outcome = outcome_of(job)
    assert outcome.ok and outcome.result == 42 and job.pid != os.getpid()
    assert job.poll() is None  # answered once
    job.close()
    assert not job.is_alive


def test_an_error_for_people_comes_back_as_its_message(tmp_path) -> None:
    job = JobProcess("export", export_job, str(tmp_path / "gone"), "onnx")
    job.start()
    outcome = outcome_of(job, timeout=120)
    assert outcome.error == f"{tmp_path / 'gone'}: run folder not found" and not outcome.traceback
    assert "cnnstudio: error" not in outcome.error


def test_a_child_that_dies_without_answering_says_so_with_its_exit_code() -> None:
    job = JobProcess("export", os._exit, 3)
    job.start()
    outcome = outcome_of(job)
    assert outcome.error == "the export process stopped before it finished (exit code 3)"


def test_kill_ends_the_child_and_no_outcome_follows() -> None:
    job = JobProcess("report", time.sleep, 60)
    job.start()
    time.sleep(0.2)
    job.kill()
    job.close()
    assert not job.is_alive and job.poll() is None
    with pytest.raises(RuntimeError, match="already started"):
        job.start()
