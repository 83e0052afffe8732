"""Detection metrics over every box: COCO AP (torchmetrics), precision, recall and counts at the threshold."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.core.evaluate.detection import MATCH_IOU, detection_metrics, instances
from cnnstudio.core.model.heads import Targets

# Image 0 holds two logos A and B; image 1 none. Found, best first:
#   image 0: A exactly (.9), a box on nothing (.8), B' (.7, IoU .77 with B: a hit up to IoU .75);
#   image 1: a box on nothing (.6).
# Ranked over both images: hit, miss, hit, miss against 2 true boxes. COCO's 101-point interpolation:
# precision 1 up to recall 1/2 (51 points), 2/3 above it (50 points).
AP_TWO_HITS = (51 + 50 * 2 / 3) / 101
AP_ONE_HIT = 51 / 101  # only A found: precision 1 up to recall 1/2, then nothing


def predictions(boxes: list[list[list[float]]], scores: list[list[float]], slots: int = 4) -> dict[str, torch.Tensor]:
    """Padded instance predictions (score 0 on padding) and image labels 1 where a box scores .5 or more."""
    count = len(boxes)
    padded = torch.zeros(count, slots, 4)
    padded_scores = torch.zeros(count, slots)
    for i, (image_boxes, image_scores) in enumerate(zip(boxes, scores)):
        padded[i, :len(image_boxes)] = torch.tensor(image_boxes).reshape(-1, 4)
        padded_scores[i, :len(image_scores)] = torch.tensor(image_scores)
    return {"labels": (padded_scores.amax(dim=1) >= 0.5).long(), "instance_boxes": padded,
            "instance_scores": padded_scores, "instance_classes": (padded_scores > 0).long()}


TRUTH = Targets(torch.tensor([1, 0]), boxes=[torch.tensor([[10.0, 10, 30, 30], [40.0, 0, 50, 10]]), torch.zeros(0, 4)])
FOUND = predictions([[[10, 10, 30, 30], [60, 60, 70, 70], [40, 0, 50, 7.7]], [[0, 0, 5, 5]]], [[0.9, 0.8, 0.7], [0.6]])


def test_ap_scores_every_box_by_the_coco_rules():
    result = detection_metrics(FOUND, TRUTH, threshold=0.5)
    assert result["ap50"] == pytest.approx(AP_TWO_HITS)
    # B' is a hit at IoU .5 to .75 (6 of the 10 thresholds), a miss at .8 to .95.
    assert result["ap50_95"] == pytest.approx((6 * AP_TWO_HITS + 4 * AP_ONE_HIT) / 10)


def test_one_box_for_an_image_with_two_objects_finds_half_of_them():
    only_a = predictions([[[10, 10, 30, 30]], []], [[0.9], []])
    result = detection_metrics(only_a, TRUTH, threshold=0.5)
    assert result["ap50"] == pytest.approx(AP_ONE_HIT)
    assert result["box_recall"] == 0.5 and result["box_precision"] == 1.0 and result["count_accuracy"] == 0.5


def test_the_threshold_decides_which_boxes_count():
    strict = detection_metrics(FOUND, TRUTH, threshold=0.65)  # A, the box on nothing and B' in image 0
    assert strict["box_precision"] == pytest.approx(2 / 3) and strict["box_recall"] == 1.0
    assert strict["count_accuracy"] == 0.5  # 3 boxes for 2 logos; none where there is none
    assert strict["mean_iou"] == pytest.approx((1 + 0.77) / 2)
    loose = detection_metrics(FOUND, TRUTH, threshold=0.55)
    assert loose["box_precision"] == pytest.approx(2 / 4) and loose["count_accuracy"] == 0.0
    high = detection_metrics(FOUND, TRUTH, threshold=0.95)
    assert high["box_precision"] == 0.0 and high["box_recall"] == 0.0 and high["mean_iou"] == 0.0
    # The AP does not depend on the threshold.
    assert strict["ap50"] == loose["ap50"] == high["ap50"]


def test_a_true_box_is_matched_once_and_only_by_its_own_class():
    twice = predictions([[[10, 10, 30, 30], [10, 10, 30, 29]], []], [[0.9, 0.8], []])
    result = detection_metrics(twice, TRUTH, threshold=0.5)
    assert result["box_precision"] == 0.5 and result["box_recall"] == 0.5
    three_classes = Targets(torch.tensor([2, 0]), boxes=TRUTH.boxes)  # the true boxes are class 2, the found ones class 1
    wrong_class = detection_metrics(FOUND, three_classes, threshold=0.5)
    assert wrong_class["box_recall"] == 0.0 and wrong_class["ap50"] == 0.0


def test_without_true_boxes_only_the_image_accuracy_is_reported():
    # Both images are decided "found" (their best boxes score .9 and .6).
    assert detection_metrics(FOUND, Targets(torch.tensor([1, 0])), 0.5) == {"accuracy": 0.5}
    empty = Targets(torch.tensor([1, 1]), boxes=[torch.zeros(0, 4)] * 2)
    assert detection_metrics(FOUND, empty, 0.5) == {"accuracy": 1.0}


def test_instances_keep_the_boxes_above_the_floor_best_first():
    boxes, scores, classes = instances(FOUND, 0, floor=0.75)
    assert boxes.tolist() == [[10, 10, 30, 30], [60, 60, 70, 70]] and scores.tolist() == pytest.approx([0.9, 0.8])
    assert classes.tolist() == [1, 1] and MATCH_IOU == 0.5
