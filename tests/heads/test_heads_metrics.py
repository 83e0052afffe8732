"""The additive metric functions the defect and box heads use, against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from cnnstudio.core.evaluate import metrics


def test_binary_precision_recall_f1_counts_true_positives():
    # TP = 2 (images 0 and 4), predicted positive 3, actually positive 3.
    p, r, f1 = metrics.binary_precision_recall_f1(torch.tensor([1, 1, 0, 0, 1]), torch.tensor([1, 0, 1, 0, 1]))
    assert (p, r, f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    # Precision 1/1, recall 1/3: F1 = 2 * 1 * 1/3 / (4/3) = 0.5.
    assert metrics.binary_precision_recall_f1(torch.tensor([1, 0, 0]), torch.tensor([1, 1, 1])) == pytest.approx((1.0, 1 / 3, 0.5))


def test_binary_precision_recall_f1_is_zero_for_empty_denominators():
    assert metrics.binary_precision_recall_f1(torch.zeros(4), torch.tensor([0, 1, 0, 1])) == (0.0, 0.0, 0.0)
    assert metrics.binary_precision_recall_f1(torch.ones(3), torch.zeros(3)) == (0.0, 0.0, 0.0)


def test_average_precision_uses_all_point_interpolation():
    # Ranked hits T F T F with 3 true objects (one never detected):
    # precision 1, 1/2, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3; envelope 1, 2/3, 2/3, 1/2.
    # AP = 1/3 * 1 + 1/3 * 2/3 = 5/9.
    scores = torch.tensor([0.7, 0.9, 0.6, 0.8])  # unsorted on purpose
    hits = torch.tensor([True, True, False, False])
    assert metrics.average_precision(scores, hits, 3) == pytest.approx(5 / 9)
    assert metrics.average_precision(torch.tensor([0.9, 0.1]), torch.tensor([True, True]), 2) == pytest.approx(1.0)
    assert math.isnan(metrics.average_precision(scores, hits, 0))


def test_largest_box_picks_the_biggest_area_or_none():
    boxes = torch.tensor([[0.0, 0, 4, 4], [10, 10, 20, 30], [0, 0, 10, 10]])
    assert metrics.largest_box(boxes).tolist() == [10, 10, 20, 30]
    assert metrics.largest_box(torch.zeros(0, 4)) is None


def test_ap_at_iou_on_a_five_image_example():
    # img0 score .9: true box, IoU 1                -> TP
    # img1 score .8: no true box                    -> FP
    # img2 score .7: IoU 100 / 200 = 0.5 (>= 0.5)   -> TP
    # img3 score .6: IoU 50 / 150 = 1/3             -> FP
    # img4 score .3: IoU 1 but wrong class          -> FP (TP when classes are not checked)
    # 4 true boxes. Ranked T F T F F: precision 1, 1/2, 2/3, 1/2, 2/5 at recall 1/4, 1/4, 1/2, 1/2, 1/2
    # -> AP = 1/4 * 1 + 1/4 * 2/3 = 5/12.
    # Without the class check the fifth is a TP: precision 3/5 at recall 3/4
    # -> AP = 1/4 + 1/4 * 2/3 + 1/4 * 3/5 = 17/30.
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.3])
    predicted = torch.tensor([[0.0, 0, 10, 10], [5, 5, 9, 9], [10, 10, 20, 30], [5, 0, 15, 10], [20, 20, 30, 30]])
    true = [torch.tensor([0.0, 0, 10, 10]), None, torch.tensor([10.0, 10, 20, 20]),
            torch.tensor([0.0, 0, 10, 10]), torch.tensor([20.0, 20, 30, 30])]
    correct = torch.tensor([True, True, True, True, False])
    assert metrics.ap_at_iou(scores, predicted, true, 0.5, class_correct=correct) == pytest.approx(5 / 12)
    assert metrics.ap_at_iou(scores, predicted, true, 0.5) == pytest.approx(17 / 30)
    # A stricter IoU turns img2 into a miss too: T F F F T -> 1/4 * 1 + 1/4 * 2/5 = 0.35.
    assert metrics.ap_at_iou(scores, predicted, true, 0.6) == pytest.approx(0.35)
    assert math.isnan(metrics.ap_at_iou(scores, predicted, [None] * 5))
