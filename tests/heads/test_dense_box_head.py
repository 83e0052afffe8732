"""The dense box head: shapes, decoding every peak, NMS, padding, threshold, loss, training on several objects."""

from __future__ import annotations

import math

import pytest
import torch
from heads_helpers import batch_of, fit_steps, tiny_model

from cnnstudio.bundled_plugins._dense_box_head import MAX_DETECTIONS, DenseBoxHead, build_dense_box_head
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.evaluation import concat_predictions
from cnnstudio.core.model.heads import Targets


def hand_outputs(peaks: list[dict[tuple[int, int], float]], grid: int = 4, classes: int = 2):
    """Raw outputs: heat logits -10 except at the given (row, column) -> logit cells; box params 0
    (a box one cell wide and high, centred on its cell)."""
    heat = torch.full((len(peaks), classes - 1, grid, grid), -10.0)
    for i, cells in enumerate(peaks):
        for (row, column), logit in cells.items():
            heat[i, 0, row, column] = logit
    return heat, torch.zeros(len(peaks), 4, grid, grid)


def squares_of(counts: list[int], size: int = 32, seed: int = 0) -> ImageSet:
    """Grey noise with ``counts[i]`` bright 6-8 px squares in image i, apart from each other, one box each."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(60, 140, (len(counts), 3, size, size), generator=generator).to(torch.uint8)
    boxes = []
    for i, count in enumerate(counts):
        placed: list[list[float]] = []
        while len(placed) < count:
            side = int(torch.randint(6, 9, (1,), generator=generator))
            x0, y0 = (int(v) for v in torch.randint(0, size - side + 1, (2,), generator=generator))
            box = [x0, y0, x0 + side, y0 + side]
            if all(box[0] >= b[2] + 2 or b[0] >= box[2] + 2 or box[1] >= b[3] + 2 or b[1] >= box[3] + 2 for b in placed):
                images[i, :, y0:y0 + side, x0:x0 + side] = 235
                placed.append(box)
        boxes.append(torch.tensor(placed, dtype=torch.float32).reshape(-1, 4))
    labels = torch.tensor([int(c > 0) for c in counts])
    return ImageSet(images, labels, ["none", "square"], boxes=boxes, name="squares")


def test_outputs_and_predictions_have_the_documented_shapes_and_concatenate():
    head = build_dense_box_head((16, 8, 8), 3, {"global_pool": "max", "input_size": 40})
    heat, params = head(torch.randn(5, 16, 8, 8))
    assert heat.shape == (5, 2, 8, 8) and params.shape == (5, 4, 8, 8)
    predictions = head.predict((heat, params))
    assert predictions["probabilities"].shape == (5, 3)
    torch.testing.assert_close(predictions["probabilities"].sum(dim=1), torch.ones(5))
    assert predictions["labels"].shape == (5,) and predictions["score"].shape == (5,) and predictions["boxes"].shape == (5, 4)
    assert predictions["instance_boxes"].shape == (5, MAX_DETECTIONS, 4)
    assert predictions["instance_scores"].shape == predictions["instance_classes"].shape == (5, MAX_DETECTIONS)
    boxes = predictions["instance_boxes"]
    assert boxes.min() >= 0 and boxes.max() <= 40 and (boxes[..., 2:] >= boxes[..., :2]).all()
    joined = concat_predictions([predictions, head.predict(head(torch.randn(2, 16, 8, 8)))])
    assert joined["instance_boxes"].shape == (7, MAX_DETECTIONS, 4) and joined["instance_scores"].shape == (7, MAX_DETECTIONS)
    targets = Targets(torch.tensor([1, 0, 2, 0, 1]), boxes=[torch.tensor([[1.0, 2, 30, 20]]), torch.zeros(0, 4),
                      torch.tensor([[3.0, 3, 9, 9], [0, 0, 39, 39]]), torch.zeros(0, 4), torch.tensor([[5.0, 5, 6, 6]])])
    assert torch.isfinite(head.loss((heat, params), targets))


def test_every_peak_becomes_a_box_with_its_score_and_the_rest_is_padding():
    head = build_dense_box_head((8, 4, 4), 2, {"input_size": 32})  # cells of 8 x 8 input pixels
    # Image 0: peaks at (0, 0) and (2, 3); (0, 1) is next to a stronger cell, so not a peak. Image 1: nothing.
    predictions = head.predict(hand_outputs([{(0, 0): 3.0, (0, 1): 2.0, (2, 3): 1.0}, {}]))
    scores = predictions["instance_scores"]
    expected = [1 / (1 + math.exp(-3.0)), 1 / (1 + math.exp(-1.0))]
    assert scores[0, :2].tolist() == pytest.approx(expected) and (scores[0, 2:] == 0).all() and (scores[1] == 0).all()
    torch.testing.assert_close(predictions["instance_boxes"][0, :2], torch.tensor([[0.0, 0, 8, 8], [24, 16, 32, 24]]))
    assert predictions["instance_classes"][0, :3].tolist() == [1, 1, 0]
    assert predictions["score"].tolist() == pytest.approx([expected[0], 1 / (1 + math.exp(10))])
    assert predictions["labels"].tolist() == [1, 0]
    torch.testing.assert_close(predictions["boxes"][0], torch.tensor([0.0, 0, 8, 8]))


def test_overlapping_boxes_of_one_object_are_merged_by_nms():
    head = build_dense_box_head((8, 4, 4), 2, {"input_size": 32})
    heat, params = hand_outputs([{(1, 0): 3.0, (1, 3): 2.0}])
    # Both cells point at the same 24 px box centred at (16, 12): offsets of +1.5 and -1.5 cells, log 3 cells wide.
    params[0, :, 1, 0] = torch.tensor([1.5, 0.0, math.log(3), math.log(3)])
    params[0, :, 1, 3] = torch.tensor([-1.5, 0.0, math.log(3), math.log(3)])
    predictions = head.predict((heat, params))
    assert int((predictions["instance_scores"][0] > 0).sum()) == 1
    torch.testing.assert_close(predictions["instance_boxes"][0, 0], torch.tensor([4.0, 0, 28, 24]))


def test_labels_follow_the_threshold_which_is_saved_with_the_weights():
    head = build_dense_box_head((8, 4, 4), 2, {"input_size": 32})
    outputs = hand_outputs([{(0, 0): 2.0}, {(1, 1): -1.0}, {(3, 3): 0.5}])  # scores .88, .27, .62
    assert head.predict(outputs)["labels"].tolist() == [1, 0, 1]
    head.set_threshold(0.7)
    assert head.predict(outputs)["labels"].tolist() == [1, 0, 0]
    with pytest.raises(ConfigError, match="threshold"):
        head.set_threshold(0.0)
    model = tiny_model(build_dense_box_head, {"input_size": 32, "threshold": 0.35})
    model.head.set_threshold(0.8)
    fresh = tiny_model(build_dense_box_head, {"input_size": 32})
    fresh.load_state_dict(model.state_dict())
    assert fresh.head.threshold.item() == pytest.approx(0.8)


def test_the_loss_is_lowest_for_the_right_heat_and_boxes():
    head = build_dense_box_head((8, 4, 4), 2, {"input_size": 32})
    targets = Targets(torch.tensor([1]), boxes=[torch.tensor([[0.0, 0, 8, 8], [16.0, 16, 32, 32]])])
    # Box 2's centre (24, 24) is the corner of four cells; its heat peak is the cell below and right of it.
    right_heat, right_params = hand_outputs([{(0, 0): 6.0, (3, 3): 6.0}])
    # Each of the four cells points half a cell towards that centre, a box two cells wide.
    for row, column in [(2, 2), (2, 3), (3, 2), (3, 3)]:
        right_params[0, :, row, column] = torch.tensor([0.5 if column == 2 else -0.5, 0.5 if row == 2 else -0.5,
                                                        math.log(2), math.log(2)])
    wrong_heat, _ = hand_outputs([{(3, 0): 6.0}])
    right = head.loss((right_heat, right_params), targets)
    assert right < head.loss((wrong_heat, right_params), targets)
    assert right < head.loss((right_heat, torch.zeros_like(right_params)), targets)
    without_boxes = build_dense_box_head((8, 4, 4), 2, {"input_size": 32, "box_weight": 0})
    assert without_boxes.loss((right_heat, torch.zeros_like(right_params)), targets) < right + 0.5


def test_training_finds_every_square_and_counts_them():
    counts = [0, 1, 2, 3] * 6
    data = squares_of(counts, seed=3)
    images, targets = batch_of(data)
    model = tiny_model(build_dense_box_head, {"input_size": 32})
    losses = fit_steps(model, images, targets, steps=120)
    assert losses[-1] < 0.3 * losses[0]
    model.eval()
    with torch.no_grad():
        result = model.head.metrics(model.head.predict(model(images)), targets)
    assert result["ap50"] > 0.8 and result["box_recall"] > 0.8 and result["count_accuracy"] > 0.6


@pytest.mark.parametrize("options, field", [
    ({"threshold": 1.5}, "threshold"), ({"box_weight": -1}, "box_weight"), ({"anchors": 3}, "anchors"),
    ({"input_size": 0}, "input_size"),
])
def test_bad_options_are_refused_naming_the_field(options, field):
    with pytest.raises(ConfigError, match=field):
        build_dense_box_head((8, 4, 4), 2, options)


def test_defaults():
    head = build_dense_box_head((8, 4, 4), 2, {"global_pool": "max"})
    assert isinstance(head, DenseBoxHead) and head.task == "detection" and head.primary_metric == "ap50"
    assert head.input_size == 64 and head.stride == (16.0, 16.0) and head.threshold.item() == 0.5


def test_the_exported_graphs_fixed_size_nms_keeps_the_same_boxes_as_batched_nms():
    from cnnstudio.bundled_plugins._dense_box_head import _fixed_size_nms, _nms

    head = build_dense_box_head((8, 8, 8), 3, {"input_size": 64})
    torch.manual_seed(5)
    heat = torch.rand(6, 2, 8, 8) ** 3
    params = torch.randn(6, 4, 8, 8) * torch.tensor([1.0, 1.0, 0.6, 0.6])[None, :, None, None] + torch.tensor(
        [0.0, 0.0, 0.8, 0.8])[None, :, None, None]  # boxes of 1-4 cells: many overlap
    candidates = head._candidates(heat, head.decode_cells(params))
    eager, fixed = _nms(*candidates), _fixed_size_nms(*candidates)
    assert int((eager[1] > 0).sum()) < int((candidates[1] > 0).sum())  # NMS removed some
    for a, b in zip(eager, fixed):
        torch.testing.assert_close(a.float(), b.float())
