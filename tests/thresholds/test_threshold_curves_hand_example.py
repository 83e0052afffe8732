"""Curves, AUC, average precision and confusion counts against a hand-computed example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.threshold_curves import confusion_at, score_curves

# Thresholding at each score, from the top: tp 1 2 2 3 3 3 4 4, fp 0 0 1 1 2 3 3 4.
SCORES = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2]
POSITIVES = [1, 1, 0, 1, 0, 0, 1, 0]


def test_roc_curve_steps_through_every_distinct_score_from_nothing_positive() -> None:
    curves = score_curves(SCORES, POSITIVES)
    assert curves.roc_thresholds[0] == math.inf
    assert np.allclose(curves.roc_thresholds[1:], SCORES)
    assert np.allclose(curves.tpr, [0, 0.25, 0.5, 0.5, 0.75, 0.75, 0.75, 1, 1])
    assert np.allclose(curves.fpr, [0, 0, 0, 0.25, 0.25, 0.5, 0.75, 0.75, 1])


def test_roc_auc_counts_positive_negative_pairs_ranked_correctly() -> None:
    # 12 of the 16 (positive, negative) pairs have the positive scored higher.
    curves = score_curves(SCORES, POSITIVES)
    assert curves.roc_auc == pytest.approx(12 / 16)
    assert np.trapezoid(curves.tpr, curves.fpr) == pytest.approx(12 / 16)


def test_precision_recall_curve_and_average_precision() -> None:
    curves = score_curves(SCORES, POSITIVES)
    assert np.allclose(curves.recall, [0.25, 0.5, 0.5, 0.75, 0.75, 0.75, 1, 1])
    assert np.allclose(curves.precision, [1, 1, 2 / 3, 3 / 4, 3 / 5, 3 / 6, 4 / 7, 4 / 8])
    assert np.allclose(curves.pr_thresholds, SCORES)
    assert curves.average_precision == pytest.approx(0.25 * (1 + 1 + 3 / 4 + 4 / 7))


def test_tied_scores_are_one_point_on_the_curves() -> None:
    curves = score_curves([0.7, 0.5, 0.5, 0.5, 0.1], [1, 1, 0, 0, 0])
    assert np.allclose(curves.pr_thresholds, [0.7, 0.5, 0.1])
    assert np.allclose(curves.tpr, [0, 0.5, 1, 1])
    assert np.allclose(curves.fpr, [0, 0, 2 / 3, 1])
    # Pairs: 0.7 beats all 3 negatives; 0.5 beats 0.1 and ties two (half each).
    assert curves.roc_auc == pytest.approx((3 + 1 + 0.5 + 0.5) / 6)


def test_one_class_only_gives_nan_auc_and_empty_input_is_refused() -> None:
    assert math.isnan(score_curves([0.2, 0.4], [0, 0]).roc_auc)
    assert math.isnan(score_curves([0.2, 0.4], [0, 0]).average_precision)
    with pytest.raises(ConfigError):
        score_curves([], [])


def test_confusion_at_counts_a_score_equal_to_the_threshold_as_positive() -> None:
    counts = confusion_at(SCORES, POSITIVES, 0.6)
    assert (counts.tp, counts.fp, counts.tn, counts.fn) == (3, 1, 3, 1)
    assert counts.recall == pytest.approx(0.75) and counts.fpr == pytest.approx(0.25)
    assert counts.precision == pytest.approx(0.75)
    nothing = confusion_at(SCORES, POSITIVES, 0.95)
    assert (nothing.tp, nothing.fp, nothing.tn, nothing.fn) == (0, 0, 4, 4)
