"""Metrics checked against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from cnnstudio.core.evaluate import metrics


def test_confusion_matrix_and_per_class_report_by_hand():
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([0, 1, 0, 1, 0, 1])
    confusion = metrics.confusion_matrix(predicted, labels, 3)
    assert confusion == [[2, 1, 0], [1, 1, 0], [0, 1, 0]]
    report = metrics.per_class_report(confusion)
    # class 0: tp 2, predicted 3, support 3
    assert report[0]["precision"] == pytest.approx(2 / 3) and report[0]["recall"] == pytest.approx(2 / 3)
    # class 1: tp 1, predicted 3, support 2
    assert report[1]["precision"] == pytest.approx(1 / 3) and report[1]["recall"] == pytest.approx(1 / 2)
    assert report[1]["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    # class 2 never predicted: precision 0, not NaN
    assert report[2] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert metrics.accuracy(predicted, labels) == pytest.approx(3 / 6)


def test_roc_auc_matches_pairwise_definition_with_ties():
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4])
    positives = torch.tensor([0, 0, 1, 1, 1])
    # pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>both yes yes, 0.4>0.1 yes, 0.4=0.4 half
    expected = (1 + 0 + 1 + 1 + 1 + 0.5) / 6
    assert metrics.roc_auc(scores, positives) == pytest.approx(expected)
    assert math.isnan(metrics.roc_auc(scores, torch.ones(5)))


def test_box_and_mask_iou():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    assert metrics.box_iou(a, b).item() == pytest.approx(25 / 175)
    mask_a = torch.zeros(4, 4, dtype=torch.bool)
    mask_a[:2] = True
    mask_b = torch.zeros(4, 4, dtype=torch.bool)
    mask_b[1:3] = True
    assert metrics.mask_iou(mask_a, mask_b) == pytest.approx(4 / 12)
    assert metrics.mask_iou(torch.zeros(3, 3), torch.zeros(3, 3)) == 1.0
