"""Stopping inside a batch, when batches are reported, and the slow-epoch warning."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from trainer_helpers import tiny_config

from cnnstudio.core.config import ConvLayer, ModelConfig
from cnnstudio.core.events import BatchEnded, EpochEnded, RunFinished
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.train.pace import BatchPacer, EpochForecast, FirstBatchWatch, LayerStops, StopNow
from cnnstudio.core.train.trainer import Trainer


def three_layers() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))


def test_layer_stops_end_a_forward_pass_between_layers():
    model, ran, asked = three_layers(), [], []
    for name, layer in model.named_children():
        layer.register_forward_hook(lambda *_, name=name: ran.append(name))
    model[0].register_forward_hook(lambda *_: asked.append(True))  # Stop pressed while the first layer runs

    with LayerStops(model, lambda: bool(asked)), pytest.raises(StopNow):
        model(torch.ones(1, 4))
    assert ran == ["0"]

    model(torch.ones(1, 4))  # the hooks are gone after the block
    assert ran == ["0", "0", "1", "2"]


def test_layer_stops_end_a_backward_pass_before_the_first_layer_gets_its_gradient():
    model, asked = three_layers(), []
    with LayerStops(model, lambda: bool(asked)):
        loss = model(torch.ones(1, 4)).sum()
        asked.append(True)
        with pytest.raises(StopNow):
            loss.backward()
    assert model[0].weight.grad is None


def test_disarmed_layer_stops_let_the_model_run():
    model = three_layers()
    with LayerStops(model, lambda: True) as stops:
        stops.armed = False
        assert model(torch.ones(1, 4)).shape == (1, 2)


def test_a_stop_inside_a_batch_ends_the_run_without_finishing_that_batch(tmp_path, squares, head_spec, recorder):
    asked = {"armed": False, "calls": 0}

    def arm_after_epoch_one(event):
        if isinstance(event, EpochEnded) and event.epoch == 1:
            asked["armed"] = True

    def stop_requested() -> bool:
        # The first call is the check before batch 1 of epoch 2; the later ones come from inside the model.
        asked["calls"] += asked["armed"]
        return asked["calls"] >= 3

    run_dir = tmp_path / "run"
    finished = Trainer(tiny_config(epochs=3), squares, head_spec, run_dir, observers=[recorder, arm_after_epoch_one],
                       stop_requested=stop_requested, batch_event_every=1).fit()

    assert finished.reason == "cancelled" and finished.epochs_run == 1 and asked["calls"] == 3
    assert recorder.events[-1] == finished and len(recorder.of(RunFinished)) == 1
    assert [e.epoch for e in recorder.of(BatchEnded)] == [1] * recorder.of(BatchEnded)[0].num_batches
    run = RunFolder(run_dir)
    state = run.load_state()
    assert state["partial_epoch"] is False  # no step of epoch 2 was taken: "last" is epoch 1's model
    assert state["loop"]["epoch"] == 1 and state["loop"]["step"] == recorder.of(BatchEnded)[-1].step
    assert [record["epoch"] for record in run.read_metrics()] == [1]
    assert run.status == "cancelled" and run.read_summary()["reason"] == "cancelled"
    assert "test_accuracy" in finished.metrics  # a small model still gets its final evaluation


def test_batches_are_reported_first_every_nth_last_and_after_a_quiet_half_second():
    now = [0.0]
    pacer = BatchPacer(every=10, seconds=0.5, clock=lambda: now[0])
    assert [b for b in range(1, 26) if pacer.due(b, 25)] == [1, 10, 20, 25]
    pacer.restart()
    reported = []
    for batch in range(1, 8):
        now[0] += 0.2  # a batch every 0.2 s
        if pacer.due(batch, 30):
            reported.append(batch)
    assert reported == [1, 4, 7]  # 0.6 s after the previous report each time


def test_an_epoch_of_minutes_is_forecast_in_words_naming_the_heaviest_layer():
    model = ModelConfig(input_size=128, conv_layers=[ConvLayer(8), ConvLayer(1000, pool=True)], global_pool="max")
    forecast = EpochForecast(model, num_classes=2, num_train=140, num_val=40, num_batches=5)

    message = forecast.from_forward(0.4)  # seconds per image: 0.4 * (4 * 140 + 40) = 240 s
    assert message.startswith("One epoch will take about 4 min (1,000 filters in conv2: ")
    assert "GFLOPs per 128x128 image). Reduce the filters or the input size" in message
    assert forecast.from_first_batch(50.0, 32) == ""  # about 4 min again: nothing new to say
    longer = EpochForecast(model, 2, 140, 40, 5)
    longer.from_forward(0.4)
    assert "about 8 min (measured on the first batch; " in longer.from_first_batch(95.0, 32)


def test_a_quick_epoch_is_not_forecast():
    model = ModelConfig(input_size=16, conv_layers=[ConvLayer(4)], global_pool="avg")
    forecast = EpochForecast(model, num_classes=2, num_train=500, num_val=100, num_batches=16)
    assert forecast.from_forward(0.001) == "" and forecast.from_first_batch(0.05, 32) == ""


def test_a_first_batch_still_running_after_a_minute_worth_of_epoch_warns_before_it_ends():
    model = ModelConfig(input_size=128, conv_layers=[ConvLayer(8), ConvLayer(1000, pool=True)], global_pool="max")
    forecast = EpochForecast(model, num_classes=2, num_train=140, num_val=40, num_batches=5)
    assert forecast.from_forward(0.01) == ""  # the forward pass said under a minute: no warning yet
    assert forecast.during_first_batch(8.0) == ""  # 5 batches x 8 s: 40 s, still under a minute
    message = forecast.during_first_batch(30.0)  # 5 x 30 s: at least 2.5 minutes
    assert message.startswith("One epoch will take about 2 min (at least: the first batch alone has run 30 s; "
                              "1,000 filters in conv2: ")
    assert forecast.during_first_batch(60.0) == ""  # said once; the finished batch may correct it upwards


def test_the_first_batch_watch_asks_the_forecast_from_inside_the_model_at_most_once_a_second():
    model = ModelConfig(input_size=128, conv_layers=[ConvLayer(8), ConvLayer(1000, pool=True)], global_pool="max")
    forecast = EpochForecast(model, num_classes=2, num_train=140, num_val=40, num_batches=100_000)
    warnings: list[tuple[str, int]] = []
    watch = FirstBatchWatch(forecast, lambda text, epoch: warnings.append((text, epoch)) if text else None)
    layers = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    stops = LayerStops(layers, lambda: False, on_layer=watch).attach()
    watch.start(epoch=1)
    watch.started -= 2.0  # as if the first batch had already run two seconds
    watch._next_look = 0.0
    layers(torch.ones(2, 4)).sum().backward()
    stops.detach()
    assert len(warnings) == 1 and warnings[0][1] == 1 and "at least" in warnings[0][0]
