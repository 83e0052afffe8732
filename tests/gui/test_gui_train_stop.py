"""Stop answers within seconds through the real Train tab, even inside the minute-long batch of a huge model,
and a child that does not answer is killed and reported cancelled, not failed."""

from __future__ import annotations

import os
import re
import signal

from gui_train_helpers import HUGE_DATASET, DialogCloser, load_tiny, use_huge_model, use_tiny_model
from PySide6.QtCore import Qt

from cnnstudio.core.events import Advice, CheckpointWritten, RunFailed, RunFinished
from cnnstudio.core.runs.folder import RunFolder

START_TIMEOUT_MS = 90_000
STOP_TIMEOUT_MS = 15_000  # generous: Stop answers within a second or two, a batch of the huge model takes far longer


def _record(controller):
    events, messages = [], []
    controller.run_event.connect(events.append)
    controller.message.connect(lambda severity, text: messages.append((severity, text)))
    return events, messages


def test_stop_inside_the_first_batch_of_a_huge_model_leaves_the_window_idle_within_seconds(qtbot, window, controller):
    controller.prepare_standby()
    with qtbot.waitSignal(controller.dataset_loaded, timeout=60_000):
        controller.select_dataset(*HUGE_DATASET)
    use_huge_model(controller)
    window.tabs.setCurrentWidget(window.train_view)
    view = window.train_view
    events, messages = _record(controller)

    with qtbot.waitSignal(controller.run_event, timeout=START_TIMEOUT_MS,
                          check_params_cb=lambda e: isinstance(e, Advice) and e.code == "slow_epoch"):
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    # The estimate reaches the Train tab and the status bar; the bar says the first batch is under way, and for how long.
    assert "One epoch will take about " in view.advice_label.text() and not view.advice_label.isHidden()
    assert any(severity == "warning" and "1,000 filters in conv2" in text for severity, text in messages)
    qtbot.waitUntil(lambda: bool(re.search(r"first batch: 1 of \d+, started [1-9]\d* s ago", view.progress.format())),
                    timeout=10_000)

    with qtbot.waitSignal(controller.run_state_changed, timeout=STOP_TIMEOUT_MS,
                          check_params_cb=lambda state: state == "idle"):
        qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
        assert controller.run_state == "stopping" and not view.stop_button.isEnabled()

    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].reason == "cancelled" and finished[0].epochs_run == 0
    assert not [e for e in events if isinstance(e, RunFailed)]
    assert view.start_button.isEnabled() and window.start_action.isEnabled() and window.state_label.text() == "idle"
    assert view.progress.format() == "cancelled after 0 epochs" and "cancelled" in view.summary_label.text()
    assert RunFolder(finished[0].run_dir).status == "cancelled"


def test_a_child_that_does_not_answer_stop_is_killed_and_shown_cancelled_not_failed(qtbot, window, controller):
    controller.prepare_standby()
    load_tiny(qtbot, controller)
    use_tiny_model(controller, epochs=500)
    window.tabs.setCurrentWidget(window.train_view)
    view = window.train_view
    events, _ = _record(controller)
    closer = DialogCloser()
    try:
        with qtbot.waitSignal(controller.run_event, timeout=START_TIMEOUT_MS,
                              check_params_cb=lambda e: isinstance(e, CheckpointWritten) and e.kind == "last"):
            qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
        process = controller.process
        os.kill(process.pid, signal.SIGSTOP)  # a child stuck in one long layer: it cannot answer Stop
        with qtbot.waitSignal(controller.run_state_changed, timeout=STOP_TIMEOUT_MS,
                              check_params_cb=lambda state: state == "idle"):
            qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    finally:
        closer.stop()

    finished = [e for e in events if isinstance(e, RunFinished)]
    qtbot.waitUntil(lambda: process.exitcode is not None, timeout=15_000)  # reaped on a background thread
    assert process.exitcode == -9  # killed, not finished by itself
    assert len(finished) == 1 and finished[0].reason == "cancelled" and finished[0].epochs_run >= 1
    assert not [e for e in events if isinstance(e, RunFailed)] and closer.texts == []
    assert "cancelled" in view.summary_label.text() and "failed" not in view.summary_label.text().lower()
    run = RunFolder(finished[0].run_dir)
    assert run.status == "cancelled" and run.load_weights("last")
    assert view.start_button.isEnabled() and not view.stop_button.isEnabled()
