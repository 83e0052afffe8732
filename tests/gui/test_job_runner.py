"""JobRunner: an app job in a child process, answered by Qt signals while the window goes on."""

from __future__ import annotations

import logging
import operator
import time

import pytest
from PySide6.QtCore import QObject

from cnnstudio.app.report_job import report_job
from cnnstudio.gui.workers.job_runner import JobRunner


@pytest.fixture
def runner(qtbot):
    owner = QObject()
    runner = JobRunner("report", owner)
    yield runner
    runner.cancel()
    owner.deleteLater()


def test_the_result_arrives_as_finished(qtbot, runner) -> None:
    failed: list[str] = []
    runner.failed.connect(failed.append)
    with qtbot.waitSignal(runner.finished, timeout=60_000) as finished:
        runner.start(operator.mul, 6, 7)
        assert runner.running
    assert finished.args == [42] and not failed and not runner.running


def test_an_error_for_people_arrives_as_failed_with_its_message(qtbot, runner, tmp_path) -> None:
    with qtbot.waitSignal(runner.failed, timeout=120_000) as failed:
        runner.start(report_job, str(tmp_path / "absent"))
    assert failed.args == [f"{tmp_path / 'absent'}: no such run folder"]


def test_a_bug_is_one_line_for_people_and_its_traceback_in_the_log(qtbot, runner, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="cnnstudio.gui.workers.job_runner"):
        with qtbot.waitSignal(runner.failed, timeout=60_000) as failed:
            runner.start(int, "twelve")
    (message,) = failed.args
    assert message.startswith("internal error: ValueError: invalid literal") and "\n" not in message
    assert "Traceback" in caplog.text and "the report failed" in caplog.text


def test_cancel_kills_the_child_and_no_signal_follows(qtbot, runner) -> None:
    answers: list[object] = []
    runner.finished.connect(answers.append)
    runner.failed.connect(answers.append)
    runner.start(time.sleep, 60)
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(time.sleep, 1)
    child = runner.job
    runner.cancel()
    assert not runner.running and not child.is_alive
    qtbot.wait(300)
    assert answers == []

