"""The Train tab drives a real training child: a short run, Stop mid-run, a killed child, a past run reopened."""

from __future__ import annotations

from pathlib import Path

from gui_train_helpers import DialogCloser, load_tiny, use_tiny_model
from PySide6.QtCore import Qt

from cnnstudio.core.events import BatchEnded, CheckpointWritten, EpochEnded, RunFailed, RunFinished
from cnnstudio.gui.tabs.train.train_view import TrainView

RUN_TIMEOUT_MS = 90_000


def _record(controller):
    events = []
    controller.run_event.connect(events.append)
    return events


def _show_train_tab(window):
    window.tabs.setCurrentWidget(window.train_view)
    return window.train_view


def test_short_run_draws_every_epoch_and_batch_and_reopens(qtbot, window, controller):
    controller.prepare_standby()
    load_tiny(qtbot, controller)
    use_tiny_model(controller, epochs=2)
    view = _show_train_tab(window)
    events = _record(controller)

    with qtbot.waitSignal(controller.run_state_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda state: state == "idle"):
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
        assert not view.start_button.isEnabled()
        assert view.stop_button.isEnabled()

    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].reason == "completed"
    view.curves.flush()
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert [x for x, _ in view.curves.epoch_points(name)] == [1.0, 2.0], name
    batches = [e for e in events if isinstance(e, BatchEnded)]
    assert batches
    for name in ("loss", "accuracy"):
        assert len(view.curves.batch_points(name)) == len(batches)
        assert len(view.curves.batch_points(name, smoothed=False)) == len(batches)
    assert [y for _, y in view.curves.batch_points("loss", smoothed=False)] == [e.loss for e in batches]
    best = [e.epoch for e in events if isinstance(e, EpochEnded) and e.is_best][-1]
    assert view.curves.best_epoch == best and view.curves.best_lines[0].value() == best
    assert "Finished all epochs" in view.summary_label.text() and "validation accuracy" in view.summary_label.text()
    assert view.start_button.isEnabled() and not view.stop_button.isEnabled()

    # Reopening the finished run in a fresh view shows its curves from metrics.jsonl.
    fresh = TrainView(controller)
    qtbot.addWidget(fresh)
    controller.run_opened.emit(finished[0].run_dir)
    assert [x for x, _ in fresh.curves.epoch_points("val_accuracy")] == [1.0, 2.0]
    assert fresh.curves.epoch_points("loss") == view.curves.epoch_points("loss")
    assert fresh.curves.best_epoch == best
    assert "Finished all epochs" in fresh.summary_label.text()


def test_stop_mid_run_keeps_the_epochs_done(qtbot, window, controller):
    controller.prepare_standby()
    load_tiny(qtbot, controller)
    use_tiny_model(controller, epochs=500)
    view = _show_train_tab(window)
    events = _record(controller)

    with qtbot.waitSignal(controller.run_event, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda event: isinstance(event, EpochEnded)):
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(controller.run_event, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda event: isinstance(event, RunFinished)) as finished:
        qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)

    assert finished.args[0].reason == "cancelled"
    epochs_done = [e.epoch for e in events if isinstance(e, EpochEnded)]
    assert 1 <= len(epochs_done) < 500
    view.curves.flush()
    assert [x for x, _ in view.curves.epoch_points("val_loss")] == [float(e) for e in epochs_done]
    assert "cancelled" in view.summary_label.text()
    qtbot.waitUntil(view.start_button.isEnabled)


def test_killed_child_is_reported_and_the_window_survives(qtbot, window, controller):
    controller.prepare_standby()
    load_tiny(qtbot, controller)
    use_tiny_model(controller, epochs=500)
    view = _show_train_tab(window)
    events = _record(controller)
    closer = DialogCloser()
    try:
        with qtbot.waitSignal(controller.run_event, timeout=RUN_TIMEOUT_MS,
                              check_params_cb=lambda e: isinstance(e, CheckpointWritten) and e.kind == "last"):
            qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(controller.run_event, timeout=RUN_TIMEOUT_MS,
                              check_params_cb=lambda event: isinstance(event, RunFailed)) as failed:
            controller.process.kill()
        qtbot.waitUntil(lambda: bool(closer.texts))
    finally:
        closer.stop()

    run_dir = failed.args[0].run_dir
    text = view.summary_label.text()
    assert "Training failed" in text and "stopped unexpectedly" in text and run_dir in text
    assert any("stopped unexpectedly" in message for message in closer.texts)
    assert (Path(run_dir) / "weights" / "last.safetensors").exists()
    epochs_done = [e.epoch for e in events if isinstance(e, EpochEnded)]
    view.curves.flush()
    assert len(view.curves.epoch_points("loss")) == len(epochs_done) >= 1
    qtbot.waitUntil(view.start_button.isEnabled)
    assert not view.stop_button.isEnabled() and window.start_action.isEnabled()
