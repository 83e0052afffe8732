"""Per-class score histograms and the report-based scores the Threshold view and the CLI share."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate.threshold_curves import report_scores, score_histograms


def test_histograms_count_each_class_in_shared_bins_over_zero_to_one() -> None:
    scores = [0.0, 0.1, 0.24, 0.26, 0.5, 0.74, 0.99, 1.0]
    positives = [0, 0, 0, 1, 0, 1, 1, 1]
    histogram = score_histograms(scores, positives, bins=4)
    assert np.allclose(histogram.edges, [0, 0.25, 0.5, 0.75, 1])
    assert histogram.negatives.tolist() == [3, 0, 1, 0]
    assert histogram.positives.tolist() == [0, 1, 1, 2]  # a score of exactly 1 lands in the last bin


def test_histograms_refuse_no_bins_and_mismatched_lengths() -> None:
    with pytest.raises(ConfigError, match="bins"):
        score_histograms([0.5], [1], bins=0)
    with pytest.raises(ConfigError, match="differ in length"):
        score_histograms([0.5, 0.2], [1])


def test_report_scores_are_float32_one_minus_p0_and_positives_are_not_class_0() -> None:
    report = SimpleNamespace(probabilities=[[0.9, 0.1], [0.3, 0.7], [0.55, 0.45]], labels=[0, 1, 2])
    scores, positives = report_scores(report)
    assert scores.dtype == np.float32
    assert np.array_equal(scores, np.float32(1) - np.array([0.9, 0.3, 0.55], dtype=np.float32))
    assert positives.tolist() == [False, True, True]


def test_report_without_probabilities_is_explained() -> None:
    with pytest.raises(ConfigError, match="probabilities"):
        report_scores(SimpleNamespace(probabilities=[], labels=[]))


def test_confusion_f1_and_accuracy() -> None:
    from cnnstudio.core.evaluate.threshold_curves import Confusion

    counts = Confusion(tp=3, fp=1, tn=4, fn=2)
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert counts.accuracy == pytest.approx(7 / 10)
    assert Confusion(tp=0, fp=2, tn=3, fn=1).f1 == 0.0
    assert np.isnan(Confusion(tp=0, fp=2, tn=3, fn=0).f1)
