"""The box head: shapes, loss, box decoding, threshold decisions, saved threshold, metrics, options."""

from __future__ import annotations

import math

import pytest
import torch
from heads_helpers import batch_of, fit_steps, squares, tiny_model

from cnnstudio.bundled_plugins._box_head import BoxHead, build_box_head
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate import metrics
from cnnstudio.core.model.heads import Targets


def hand_outputs(cells: list[tuple[int, int]], params: list[list[float]], scores: list[float], grid: int = 4):
    """Raw outputs whose where-logits peak at ``cells`` (row, column) holding box ``params``
    (x offset, y offset in the cell after the sigmoid; log width, log height over the input size)."""
    n = len(cells)
    where = torch.zeros(n, grid * grid)
    box_params = torch.zeros(n, 4, grid, grid)
    for i, ((row, column), (dx, dy, log_w, log_h)) in enumerate(zip(cells, params)):
        where[i, row * grid + column] = 5.0
        box_params[i, :, row, column] = torch.tensor([math.log(dx / (1 - dx)), math.log(dy / (1 - dy)), log_w, log_h])
    s = torch.tensor(scores)
    return torch.stack([(1 - s).log(), s.log()], dim=1), where, box_params


def assert_boxes(boxes: torch.Tensor, expected: list[list[float]], atol: float = 1e-4) -> None:
    torch.testing.assert_close(boxes, torch.tensor(expected, dtype=boxes.dtype), atol=atol, rtol=0)


@pytest.mark.parametrize("shape, classes", [((16, 8, 8), 2), ((4, 1, 1), 3), ((8, 5, 3), 4)])
def test_outputs_and_predictions_have_the_documented_shapes(shape, classes):
    head = build_box_head(shape, classes, {"global_pool": "max", "input_size": 40})
    logits, where, box_params = head(torch.randn(5, *shape))
    assert logits.shape == (5, classes) and where.shape == (5, shape[1] * shape[2]) and box_params.shape == (5, 4, *shape[1:])
    predictions = head.predict((logits, where, box_params))
    assert predictions["probabilities"].shape == (5, classes)
    assert predictions["labels"].shape == (5,) and predictions["score"].shape == (5,)
    boxes = predictions["boxes"]
    assert boxes.shape == (5, 4) and boxes.min() >= 0 and boxes.max() <= 40
    assert (boxes[:, 2:] >= boxes[:, :2]).all()
    targets = Targets(torch.tensor([1, 0, 0, 0, 1]), boxes=[torch.tensor([[1.0, 2, 30, 20]])] + [torch.zeros(0, 4)] * 3
                      + [torch.tensor([[3.0, 3, 9, 9], [0, 0, 39, 39]])])
    assert torch.isfinite(head.loss((logits, where, box_params), targets))


def test_decoding_places_the_box_in_its_cell_and_clamps_it_to_the_image():
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})  # cells of 8 x 8 input pixels
    outputs = hand_outputs(
        cells=[(2, 1), (0, 0), (3, 3)],
        # Centre in the middle of cell (row 2, column 1): (12, 20); 8 x 8 px (log 1/4).
        # Centre (4, 4), as wide as the image (log 1): -12..20, clamped to 0..20.
        # Centre (3/4 into cell 3, 1/4 into cell 3) = (30, 26); 4 x 16 px.
        params=[[0.5, 0.5, math.log(0.25), math.log(0.25)], [0.5, 0.5, 0.0, 0.0],
                [0.75, 0.25, math.log(4 / 32), math.log(16 / 32)]],
        scores=[0.9, 0.3, 0.6],
    )
    boxes = head.predict(outputs)["boxes"]
    assert_boxes(boxes, [[8, 16, 16, 24], [0, 0, 20, 20], [28, 18, 32, 32]])


def test_encoding_then_decoding_gives_back_the_box():
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})
    truth = torch.tensor([[3.0, 5, 14, 11], [17, 2, 31, 30]])
    cell, params = head.encode(truth)
    assert cell.tolist() == [1 * 4 + 1, 2 * 4 + 3]  # centres (8.5, 8) and (24, 16)
    where = torch.nn.functional.one_hot(cell, 16).float() * 5
    box_params = torch.zeros(2, 4, 4, 4)
    raw = torch.cat([params[:, :2].logit(eps=1e-6), params[:, 2:]], dim=1)
    box_params.flatten(2)[torch.arange(2), :, cell] = raw
    assert_boxes(head.decode(where, box_params), truth.tolist(), atol=1e-3)


def test_labels_follow_the_threshold_on_the_presence_score():
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})
    outputs = hand_outputs([(0, 0)] * 3, [[0.5, 0.5, 0.0, 0.0]] * 3, scores=[0.9, 0.3, 0.6])
    assert head.predict(outputs)["labels"].tolist() == [1, 0, 1]
    head.set_threshold(0.7)
    assert head.predict(outputs)["labels"].tolist() == [1, 0, 0]
    head.set_threshold(0.2)
    assert head.predict(outputs)["labels"].tolist() == [1, 1, 1]
    with pytest.raises(ConfigError, match="threshold"):
        head.set_threshold(1.0)


def test_threshold_is_saved_and_restored_with_the_weights():
    model = tiny_model(build_box_head, {"input_size": 32, "threshold": 0.35})
    assert model.head.threshold.item() == pytest.approx(0.35)
    model.head.set_threshold(0.8)
    fresh = tiny_model(build_box_head, {"input_size": 32})
    fresh.load_state_dict(model.state_dict())
    assert fresh.head.threshold.item() == pytest.approx(0.8)


def test_training_lowers_the_loss_and_finds_the_squares():
    data = squares(24, seed=4)
    images, targets = batch_of(data)
    model = tiny_model(build_box_head, {"input_size": 32})
    before = model.head.metrics(model.head.predict(model(images)), targets)
    losses = fit_steps(model, images, targets, steps=30)
    assert losses[-1] < 0.3 * losses[0]
    model.eval()
    after = model.head.metrics(model.head.predict(model(images)), targets)
    assert after["accuracy"] == 1.0
    assert after["mean_iou"] > max(0.5, before["mean_iou"] + 0.3)


def test_boxes_add_the_box_loss_and_class_weights_change_the_class_loss():
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})
    outputs = hand_outputs([(0, 0), (1, 1), (2, 2)], [[0.5, 0.5, -1.0, -1.0]] * 3, scores=[0.9, 0.2, 0.6])
    labels = torch.tensor([0, 1, 1])
    boxes = [torch.zeros(0, 4), torch.tensor([[8.0, 8, 16, 16]]), torch.tensor([[0.0, 0, 30, 30]])]
    class_only = head.loss(outputs, Targets(labels))
    # Per-image cross-entropy: -log .1, -log .2, -log .6.
    losses = [-math.log(0.1), -math.log(0.2), -math.log(0.6)]
    assert class_only.item() == pytest.approx(sum(losses) / 3, rel=1e-5)
    assert head.loss(outputs, Targets(labels, boxes=boxes)) > class_only
    head.set_class_weights(torch.tensor([1.0, 4.0]))
    weighted = (losses[0] + 4 * (losses[1] + losses[2])) / 9
    assert head.loss(outputs, Targets(labels)).item() == pytest.approx(weighted, rel=1e-5)


def test_metrics_match_hand_computed_values():
    # Five images, cells of 8 px (input 32). Predicted boxes (decoded):
    #   0: [8, 16, 16, 24], truth the same              IoU 1,    score .9
    #   1: no true box                                   -,        score .8
    #   2: [8, 16, 16, 24], truth [8, 16, 16, 32]        IoU 1/2,  score .7
    #   3: [8, 16, 16, 24], truth [12, 16, 20, 24]       IoU 1/3,  score .6
    #   4: [8, 16, 16, 24], truth [24, 0, 32, 8] (and a smaller one) IoU 0, score .3
    # Labels 1 0 1 1 1; decided at .5: 1 1 1 1 0 -> accuracy 3/5.
    # mean IoU over the four images with a box: (1 + 1/2 + 1/3 + 0) / 4 = 11/24.
    # AP50: ranked T F T F F over 4 true boxes -> 1/4 + 1/4 * 2/3 = 5/12.
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})
    outputs = hand_outputs([(2, 1)] * 5, [[0.5, 0.5, math.log(0.25), math.log(0.25)]] * 5, scores=[0.9, 0.8, 0.7, 0.6, 0.3])
    boxes = [torch.tensor([[8.0, 16, 16, 24]]), torch.zeros(0, 4), torch.tensor([[8.0, 16, 16, 32]]),
             torch.tensor([[12.0, 16, 20, 24]]), torch.tensor([[0.0, 0, 2, 2], [24, 0, 32, 8]])]
    result = head.metrics(head.predict(outputs), Targets(torch.tensor([1, 0, 1, 1, 1]), boxes=boxes))
    assert result == pytest.approx({"accuracy": 3 / 5, "mean_iou": 11 / 24, "ap50": 5 / 12})


def test_ap50_needs_the_right_object_class():
    head = build_box_head((8, 4, 4), 3, {"input_size": 32})
    outputs = hand_outputs([(2, 1)] * 2, [[0.5, 0.5, math.log(0.25), math.log(0.25)]] * 2, scores=[0.9, 0.8])
    probabilities = torch.tensor([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7]])  # object classes 1 and 2
    outputs = (probabilities.log(), *outputs[1:])
    same_box = [torch.tensor([[8.0, 16, 16, 24]])] * 2
    result = head.metrics(head.predict(outputs), Targets(torch.tensor([1, 1]), boxes=same_box))
    # Image 0 right (precision 1 at recall 1/2), image 1 wrong class: AP = 1/2.
    assert result["ap50"] == pytest.approx(0.5) and result["mean_iou"] == pytest.approx(1.0)
    assert metrics.ap_at_iou(torch.tensor([0.9, 0.8]), head.predict(outputs)["boxes"], [b[0] for b in same_box]) == 1.0


def test_metrics_without_true_boxes_report_accuracy_only():
    head = build_box_head((8, 4, 4), 2, {"input_size": 32})
    predictions = head.predict(hand_outputs([(0, 0)] * 2, [[0.5, 0.5, 0.0, 0.0]] * 2, scores=[0.2, 0.7]))
    assert head.metrics(predictions, Targets(torch.tensor([0, 0]), boxes=[torch.zeros(0, 4)] * 2)) == {"accuracy": 0.5}
    assert head.metrics(predictions, Targets(torch.tensor([0, 1]))) == {"accuracy": 1.0}


@pytest.mark.parametrize("options, field", [
    ({"iou": 0.5}, "head.options.iou"),
    ({"threshold": 0}, "head.options.threshold"),
    ({"box_weight": "big"}, "head.options.box_weight"),
    ({"mask_weight": 1.0}, "head.options.mask_weight"),
    ({"input_size": 0}, "head.options.input_size"),
])
def test_bad_options_are_config_errors_naming_the_field(options, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        build_box_head((8, 4, 4), 2, options)


def test_input_size_defaults_to_64_and_sets_the_decoding_scale():
    head = build_box_head((8, 4, 4), 2, {"global_pool": "max"})
    assert isinstance(head, BoxHead) and head.task == "detection" and head.primary_metric == "ap50"
    assert head.input_size == 64 and head.stride == (16.0, 16.0)
    outputs = hand_outputs([(0, 0)], [[0.5, 0.5, math.log(0.25), math.log(0.25)]], scores=[0.9])
    assert_boxes(head.predict(outputs)["boxes"], [[0, 0, 16, 16]])
