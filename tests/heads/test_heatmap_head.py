"""The defect heat-map head: shapes, loss, threshold decisions, saved threshold, metrics, options."""

from __future__ import annotations

import math

import pytest
import torch
from heads_helpers import batch_of, fit_steps, squares, tiny_model

from cnnstudio.bundled_plugins._heatmap_head import HeatmapHead, build_heatmap_head, mask_cells
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.heads import Targets


def logits_for(scores: list[float]) -> torch.Tensor:
    """Two-class logits whose softmax gives p(defect) = score."""
    s = torch.tensor(scores)
    return torch.stack([(1 - s).log(), s.log()], dim=1)


@pytest.mark.parametrize("shape, classes", [((16, 8, 8), 2), ((4, 1, 1), 3), ((8, 5, 3), 6)])
def test_outputs_and_predictions_have_the_documented_shapes(shape, classes):
    head = build_heatmap_head(shape, classes, {"global_pool": "max"})
    logits, map_logits = head(torch.randn(5, *shape))
    assert logits.shape == (5, classes) and map_logits.shape == (5, 1, shape[1], shape[2])
    predictions = head.predict((logits, map_logits))
    assert predictions["probabilities"].shape == (5, classes)
    assert predictions["labels"].shape == (5,) and predictions["labels"].dtype == torch.int64
    assert predictions["score"].shape == (5,)
    heatmap = predictions["heatmap"]
    assert heatmap.shape == (5, shape[1], shape[2]) and heatmap.min() >= 0 and heatmap.max() <= 1
    masks = torch.zeros(5, 32, 32)
    masks[0, 2:5, 2:5] = 1
    assert torch.isfinite(head.loss((logits, map_logits), Targets(torch.tensor([1, 0, 0, 0, 0]), masks)))


def test_a_one_pixel_defect_marks_its_cell_of_the_map():
    masks = torch.zeros(1, 32, 32)
    masks[0, 13, 27] = 1  # row 13 -> cell 3 of 8, column 27 -> cell 6
    cells = mask_cells(masks, (8, 8))[0, 0]
    assert cells.sum() == 1 and cells[3, 6] == 1


def test_training_lowers_the_loss_and_localises_the_squares():
    data = squares(24, seed=1)
    images, targets = batch_of(data)
    model = tiny_model(build_heatmap_head)
    before = model.head.metrics(model.head.predict(model(images)), targets)
    losses = fit_steps(model, images, targets, steps=30)
    assert losses[-1] < 0.3 * losses[0]
    model.eval()
    after = model.head.metrics(model.head.predict(model(images)), targets)
    assert after["accuracy"] == 1.0 and after["auc"] == 1.0
    assert after["pixel_iou"] > before["pixel_iou"] + 0.2


def test_masks_add_the_pixel_loss_and_mask_weight_scales_it():
    data = squares(8, seed=2)
    images, targets = batch_of(data)
    features = torch.randn(8, 16, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    head = build_heatmap_head((16, 8, 8), 2, {})
    outputs = head(features)
    no_masks = head.loss(outputs, Targets(targets.labels))
    with_masks = head.loss(outputs, targets)
    head.mask_weight = 3.0
    tripled = head.loss(outputs, targets)
    assert with_masks > no_masks
    assert (tripled - no_masks).item() == pytest.approx(3 * (with_masks - no_masks).item(), rel=1e-4)


def test_class_weights_change_the_loss():
    head = build_heatmap_head((4, 2, 2), 2, {})
    outputs = (logits_for([0.9, 0.2, 0.6]), torch.zeros(3, 1, 2, 2))
    targets = Targets(torch.tensor([0, 1, 1]))
    # Per-image cross-entropy: -log .1, -log .2, -log .6; the weighted loss is their weighted mean.
    losses = [-math.log(0.1), -math.log(0.2), -math.log(0.6)]
    assert head.loss(outputs, targets).item() == pytest.approx(sum(losses) / 3, rel=1e-5)
    head.set_class_weights(torch.tensor([1.0, 4.0]))
    weighted = (losses[0] + 4 * (losses[1] + losses[2])) / (1 + 4 + 4)
    assert head.loss(outputs, targets).item() == pytest.approx(weighted, rel=1e-5)


def test_labels_follow_the_threshold_on_the_defect_score():
    head = build_heatmap_head((4, 2, 2), 2, {})
    outputs = (logits_for([0.2, 0.7, 0.4, 0.6]), torch.zeros(4, 1, 2, 2))
    predictions = head.predict(outputs)
    assert predictions["score"].tolist() == pytest.approx([0.2, 0.7, 0.4, 0.6])
    assert predictions["labels"].tolist() == [0, 1, 0, 1]
    head.set_threshold(0.3)
    assert head.predict(outputs)["labels"].tolist() == [0, 1, 1, 1]
    head.set_threshold(0.65)
    assert head.predict(outputs)["labels"].tolist() == [0, 1, 0, 0]


def test_several_defect_types_decide_the_likeliest_type_above_the_threshold():
    head = build_heatmap_head((4, 2, 2), 3, {"threshold": 0.45})
    probabilities = torch.tensor([[0.5, 0.1, 0.4], [0.6, 0.3, 0.1], [0.1, 0.6, 0.3]])
    predictions = head.predict((probabilities.log(), torch.zeros(3, 1, 2, 2)))
    # Scores 0.5, 0.4, 0.9: the first is a defect of type 2 although class 0 is its likeliest class.
    assert predictions["labels"].tolist() == [2, 0, 1]


def test_threshold_is_saved_and_restored_with_the_weights():
    model = tiny_model(build_heatmap_head, {"threshold": 0.7})
    assert model.head.threshold.item() == pytest.approx(0.7)
    model.head.set_threshold(0.25)
    state = model.state_dict()
    assert "head.threshold" in state
    fresh = tiny_model(build_heatmap_head)
    assert fresh.head.threshold.item() == pytest.approx(0.5)
    fresh.load_state_dict(state)
    assert fresh.head.threshold.item() == pytest.approx(0.25)


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "high", True])
def test_set_threshold_refuses_values_outside_zero_one(value):
    head = build_heatmap_head((4, 2, 2), 2, {})
    with pytest.raises(ConfigError, match="threshold"):
        head.set_threshold(value)
    assert head.threshold.item() == 0.5


def test_metrics_match_hand_computed_values():
    # Labels 0 1 1 0, scores .2 .7 .4 .6, threshold .5 -> decided 0 1 0 1:
    # accuracy 2/4, precision 1/2, recall 1/2, F1 1/2; AUC: 3 of 4 (defect, ok) pairs ranked right.
    # Heat maps 2x2 upsampled bilinearly to 4x4: a [.9 .1] row becomes [.9 .7 .3 .1], so image 1
    # marks its left 8 pixels; its mask is the first column (4 px): intersection 4, union 8.
    # Image 2 marks nothing; its mask has 2 px: union 2. Ok images do not count: IoU 4 / 10.
    head = build_heatmap_head((4, 2, 2), 2, {})
    heatmaps = torch.full((4, 2, 2), 0.1)
    heatmaps[1, :, 0] = 0.9
    heatmaps[0] = 0.9  # an ok image marked everywhere: ignored by pixel IoU
    masks = torch.zeros(4, 4, 4)
    masks[1, :, 0] = 1
    masks[2, 0, 2:] = 1
    labels = torch.tensor([0, 1, 1, 0])
    predictions = head.predict((logits_for([0.2, 0.7, 0.4, 0.6]), heatmaps.logit()[:, None]))
    result = head.metrics(predictions, Targets(labels, masks))
    expected = {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5, "auc": 0.75, "pixel_iou": 0.4}
    assert result == pytest.approx(expected)
    head.set_threshold(0.3)
    lower = head.metrics(head.predict((logits_for([0.2, 0.7, 0.4, 0.6]), heatmaps.logit()[:, None])), Targets(labels, masks))
    assert (lower["accuracy"], lower["precision"], lower["recall"]) == pytest.approx((0.75, 2 / 3, 1.0))


def test_metrics_leave_out_auc_and_pixel_iou_when_they_are_undefined():
    head = build_heatmap_head((4, 2, 2), 2, {})
    predictions = head.predict((logits_for([0.2, 0.7]), torch.zeros(2, 1, 2, 2)))
    only_ok = head.metrics(predictions, Targets(torch.tensor([0, 0]), torch.zeros(2, 4, 4)))
    assert set(only_ok) == {"accuracy", "precision", "recall", "f1"}
    no_masks = head.metrics(predictions, Targets(torch.tensor([0, 1])))
    assert set(no_masks) == {"accuracy", "precision", "recall", "f1", "auc"}


@pytest.mark.parametrize("options, field", [
    ({"treshold": 0.5}, "head.options.treshold"),
    ({"threshold": 1.0}, "head.options.threshold"),
    ({"threshold": "0.5"}, "head.options.threshold"),
    ({"mask_weight": -1}, "head.options.mask_weight"),
    ({"box_weight": 1.0}, "head.options.box_weight"),
])
def test_bad_options_are_config_errors_naming_the_field(options, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        build_heatmap_head((4, 2, 2), 2, options)


def test_options_the_model_builder_passes_are_accepted():
    head = build_heatmap_head((4, 2, 2), 2, {"global_pool": "avg", "input_size": 48, "mask_weight": 0, "threshold": 0.2})
    assert isinstance(head, HeatmapHead) and head.task == "defect" and head.primary_metric == "auc"
    assert head.mask_weight == 0.0 and head.threshold.item() == pytest.approx(0.2)


def test_a_defect_image_with_an_empty_mask_trains_the_score_but_not_the_map():
    features = torch.randn(4, 16, 8, 8, generator=torch.Generator().manual_seed(1))
    head = build_heatmap_head((16, 8, 8), 2, {})
    outputs = head(features)
    labels = torch.tensor([0, 1, 0, 1])
    masks = torch.zeros(4, 32, 32)
    masks[1, 4:10, 4:10] = 1  # image 3 is a defect whose mask is missing (all zero)
    with_unknown = head.loss(outputs, Targets(labels, masks))
    # The same loss as when image 3's map is simply not supervised: compare with its map replaced.
    logits, maps = outputs
    changed_map = maps.clone()
    changed_map[3] = 5.0
    assert head.loss((logits, changed_map), Targets(labels, masks)).item() == pytest.approx(with_unknown.item())
    changed_map[1] = 5.0  # image 1's map is supervised: changing it changes the loss
    assert head.loss((logits, changed_map), Targets(labels, masks)).item() != pytest.approx(with_unknown.item())
