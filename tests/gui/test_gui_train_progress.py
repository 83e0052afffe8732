"""The Train tab's progress text: honest about a slow first batch, then batches, speed and time left."""

from __future__ import annotations

from cnnstudio.core.events import BatchEnded, EpochEnded, RunStarted
from cnnstudio.gui.tabs.train.train_progress import TrainingProgress


def started(epochs: int = 3, num_batches: int = 5) -> RunStarted:
    return RunStarted("run", ("a", "b"), 160, 40, 0, epochs, 1, "cpu", 2, num_batches=num_batches)


def test_the_first_batch_says_which_of_how_many_and_how_long_it_has_run():
    now = [100.0]
    progress = TrainingProgress(clock=lambda: now[0])
    progress.started(started())
    assert progress.text() == "epoch 1/3  ·  first batch: 1 of 5, started 0 s ago"
    now[0] += 12
    assert progress.text() == "epoch 1/3  ·  first batch: 1 of 5, started 12 s ago"
    assert progress.fraction == 0.0


def test_batches_move_the_bar_speed_and_time_left_before_any_epoch_ends():
    now = [0.0]
    progress = TrainingProgress(clock=lambda: now[0])
    progress.started(started())
    now[0] = 40.0
    progress.batch(BatchEnded(1, 1, 5, 1, 0.7, 0.5, images_per_s=1.0))
    # 4/5 of 160 images at 1 image/s (128 s), validation 40 / 4 (10 s), two more epochs of 160 + 10 s.
    assert progress.text() == "epoch 1/3  ·  batch 1/5  ·  1 images/s  ·  about 7 min 58 s left"
    assert abs(progress.fraction - 1 / 15) < 1e-9
    now[0] += 3
    assert progress.text().startswith("epoch 1/3  ·  batch 2/5 under way for 3 s  ·  1 images/s")


def test_after_the_last_batch_a_long_quiet_is_the_validation_and_an_epoch_end_gives_its_eta():
    now = [0.0]
    progress = TrainingProgress(clock=lambda: now[0])
    progress.started(started())
    progress.batch(BatchEnded(1, 5, 5, 5, 0.7, 0.5, images_per_s=100.0))
    now[0] += 5
    assert "validating for 5 s" in progress.text()
    progress.epoch(EpochEnded(1, 3, {"loss": 0.5}, 0.001, 100.0, eta_s=20.0, seconds=10.0, is_best=True))
    now[0] += 1
    assert progress.text() == "epoch 2/3  ·  100 images/s  ·  about 19 s left"
    assert abs(progress.fraction - 1 / 3) < 1e-9
