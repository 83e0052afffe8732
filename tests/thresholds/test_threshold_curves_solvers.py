"""The recall and false-positive-rate solvers: the stated property holds, the threshold is the extreme one."""

from __future__ import annotations

import numpy as np
import pytest

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.threshold_curves import (
    confusion_at,
    highest_threshold_with_recall,
    lowest_threshold_with_fpr,
)

SCORES = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2]
POSITIVES = [1, 1, 0, 1, 0, 0, 1, 0]


@pytest.mark.parametrize(("min_recall", "expected"), [(0.25, 0.85), (0.5, 0.75), (0.75, 0.575), (0.7, 0.575), (1.0, 0.25)])
def test_recall_solver_returns_the_midpoint_below_the_last_score_needed(min_recall, expected) -> None:
    assert highest_threshold_with_recall(SCORES, POSITIVES, min_recall) == pytest.approx(expected)


@pytest.mark.parametrize(("max_fpr", "expected"), [(0.0, 0.75), (0.25, 0.575), (0.5, 0.475), (0.9, 0.25), (1.0, 0.1)])
def test_fpr_solver_returns_the_midpoint_below_the_lowest_allowed_score(max_fpr, expected) -> None:
    assert lowest_threshold_with_fpr(SCORES, POSITIVES, max_fpr) == pytest.approx(expected)


def random_scores(seed: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    positives = generator.random(60) < 0.4
    # float32 scores rounded to force ties, positives shifted up so the task is learnable.
    scores = np.clip(generator.normal(0.35 + 0.3 * positives, 0.2), 0.01, 0.99).round(2).astype(np.float32)
    return scores, positives


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recall_solver_meets_the_target_and_no_higher_threshold_does(seed) -> None:
    scores, positives = random_scores(seed)
    for target in (0.1, 0.5, 0.8, 0.9, 0.95, 1.0):
        threshold = highest_threshold_with_recall(scores, positives, target)
        saved = float(np.float32(threshold))
        assert 0 < threshold < 1
        assert confusion_at(scores, positives, saved).recall >= target
        # Thresholds up to the lowest score still decided positive decide the same; just above it recall drops.
        upper = float(scores[scores >= saved].min())
        assert confusion_at(scores, positives, float(np.nextafter(upper, 2.0))).recall < target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fpr_solver_meets_the_limit_and_no_lower_threshold_does(seed) -> None:
    scores, positives = random_scores(seed)
    for limit in (0.0, 0.05, 0.1, 0.3, 0.6, 1.0):
        threshold = lowest_threshold_with_fpr(scores, positives, limit)
        saved = float(np.float32(threshold))
        assert 0 < threshold < 1
        assert confusion_at(scores, positives, saved).fpr <= limit
        lower = scores[scores < saved]
        if lower.size:  # the next distinct decision down lets too many negatives through
            assert confusion_at(scores, positives, float(lower.max())).fpr > limit


def test_full_recall_is_impossible_when_a_positive_scores_zero() -> None:
    with pytest.raises(ConfigError, match="impossible"):
        highest_threshold_with_recall([0.9, 0.0, 0.3], [1, 1, 0], 1.0)
    assert highest_threshold_with_recall([0.9, 0.0, 0.3], [1, 1, 0], 0.5) == pytest.approx(0.6)


def test_zero_false_positives_is_impossible_when_a_negative_scores_one() -> None:
    with pytest.raises(ConfigError, match="impossible.*1 of 2 negative"):
        lowest_threshold_with_fpr([1.0, 0.9, 0.2], [0, 1, 0], 0.0)
    assert lowest_threshold_with_fpr([1.0, 0.9, 0.2], [0, 1, 0], 0.5) == pytest.approx(0.55)


def test_zero_false_positives_above_every_score_lies_between_the_top_score_and_one() -> None:
    threshold = lowest_threshold_with_fpr([0.2, 0.8], [1, 0], 0.0)
    assert threshold == pytest.approx(0.9)


def test_missing_classes_and_out_of_range_targets_are_refused() -> None:
    with pytest.raises(ConfigError, match="no positive"):
        highest_threshold_with_recall([0.2, 0.3], [0, 0], 0.5)
    with pytest.raises(ConfigError, match="no negative"):
        lowest_threshold_with_fpr([0.2, 0.3], [1, 1], 0.5)
    with pytest.raises(ConfigError, match="recall must be between 0 and 1"):
        highest_threshold_with_recall(SCORES, POSITIVES, 1.5)
    with pytest.raises(ConfigError, match="recall must be above 0"):
        highest_threshold_with_recall(SCORES, POSITIVES, 0.0)
    with pytest.raises(ConfigError, match="false-positive rate must be between"):
        lowest_threshold_with_fpr(SCORES, POSITIVES, -0.1)
