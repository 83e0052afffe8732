"""Two-class score curves and threshold solvers for defect / forgery style heads.

The decision rule is the heads' own (``cnnstudio.core.model.decision.decide``):
an image is positive ("not class 0") when ``score >= threshold``. Every curve,
confusion count and solver here uses that rule, so a threshold chosen here
gives exactly the decisions ``cnnstudio predict`` and exports make.

Solvers return a threshold strictly between 0 and 1 placed *midway* between
the score that must still be positive and the next lower distinct score (0
when there is none). Every threshold in that gap decides the given scores
identically; the midpoint keeps the decisions stable under the float32
rounding of the saved threshold and tiny numeric drift between batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate import metrics as metric_fns


@dataclass(frozen=True)
class ScoreCurves:
    """ROC and precision-recall curves of one set of scores, thresholds descending."""

    fpr: np.ndarray  # starts at 0 (threshold +inf: nothing positive)
    tpr: np.ndarray
    roc_thresholds: np.ndarray  # [inf, distinct scores descending]
    precision: np.ndarray  # one point per distinct score, recall ascending
    recall: np.ndarray
    pr_thresholds: np.ndarray  # distinct scores descending
    roc_auc: float  # NaN when only one class is present
    average_precision: float  # NaN when there are no positives


@dataclass(frozen=True)
class Confusion:
    """Counts of a yes/no decision against the truth, with the usual rates."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def recall(self) -> float:
        """tp / positives; NaN without positives."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def fpr(self) -> float:
        """fp / negatives; NaN without negatives."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else math.nan

    @property
    def precision(self) -> float:
        """tp / predicted positives; 1.0 when nothing is predicted positive (no false alarms)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall; NaN without positives, 0 when no positive is found."""
        recall = self.recall
        if math.isnan(recall):
            return math.nan
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def accuracy(self) -> float:
        """Share of images decided right; NaN without images."""
        total = self.tp + self.fp + self.tn + self.fn
        return (self.tp + self.tn) / total if total else math.nan


def _as_arrays(scores: Any, positives: Any) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    positives = np.asarray(positives).ravel().astype(bool)
    if scores.shape != positives.shape:
        raise ConfigError(f"scores ({scores.size}) and positives ({positives.size}) differ in length")
    if not np.all(np.isfinite(scores)):
        raise ConfigError("scores must be finite numbers")
    return scores, positives


def _counts_per_threshold(scores: np.ndarray, positives: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct scores descending, tp and fp when thresholding at each of them)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_pos = scores[order], positives[order]
    tp = np.cumsum(sorted_pos)
    fp = np.cumsum(~sorted_pos)
    # The last position of each run of equal scores: ties are decided together.
    last = np.r_[np.nonzero(np.diff(sorted_scores))[0], len(sorted_scores) - 1]
    return sorted_scores[last], tp[last], fp[last]


def score_curves(scores: Any, positives: Any) -> ScoreCurves:
    """ROC and precision-recall curves, ROC AUC and average precision of ``scores``.

    Average precision is the step sum ``sum((R_n - R_n-1) * P_n)`` over distinct
    thresholds (scikit-learn's definition, ties decided together).
    """
    scores, positives = _as_arrays(scores, positives)
    if scores.size == 0:
        raise ConfigError("no scores to draw curves from")
    thresholds, tp, fp = _counts_per_threshold(scores, positives)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    tpr = tp / n_pos if n_pos else np.zeros_like(tp, dtype=np.float64)
    fpr = fp / n_neg if n_neg else np.zeros_like(fp, dtype=np.float64)
    precision = tp / (tp + fp)
    recall = tpr
    steps = np.diff(np.r_[0.0, recall])
    ap = float(np.sum(steps * precision)) if n_pos else math.nan
    return ScoreCurves(
        fpr=np.r_[0.0, fpr],
        tpr=np.r_[0.0, tpr],
        roc_thresholds=np.r_[np.inf, thresholds],
        precision=precision,
        recall=recall,
        pr_thresholds=thresholds,
        roc_auc=metric_fns.roc_auc(scores, positives),
        average_precision=ap,
    )


def confusion_at(scores: Any, positives: Any, threshold: float) -> Confusion:
    """tp, fp, tn, fn when ``score >= threshold`` is decided positive."""
    scores, positives = _as_arrays(scores, positives)
    decided = scores >= threshold
    return Confusion(
        tp=int(np.sum(decided & positives)),
        fp=int(np.sum(decided & ~positives)),
        tn=int(np.sum(~decided & ~positives)),
        fn=int(np.sum(~decided & positives)),
    )


def _below(thresholds: np.ndarray, index: int) -> float:
    """A threshold in (next lower distinct score, thresholds[index]]: the midpoint when float32 keeps it inside."""
    upper = float(thresholds[index])
    lower = float(thresholds[index + 1]) if index + 1 < len(thresholds) else 0.0
    middle = (lower + upper) / 2
    as_saved = float(np.float32(middle))  # the head keeps its threshold as float32
    return middle if lower < as_saved <= upper else upper


def _check_fraction(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def highest_threshold_with_recall(scores: Any, positives: Any, min_recall: float) -> float:
    """The highest threshold whose recall on ``scores`` is at least ``min_recall`` (midway into its gap)."""
    min_recall = _check_fraction(min_recall, "recall")
    if min_recall == 0.0:
        raise ConfigError("recall must be above 0 (every threshold reaches recall 0)")
    scores, positives = _as_arrays(scores, positives)
    n_pos = int(positives.sum())
    if n_pos == 0:
        raise ConfigError("recall is undefined: there are no positive (not class 0) images")
    thresholds, tp, _ = _counts_per_threshold(scores, positives)
    # Recall grows as the threshold falls; the first (highest) distinct score that reaches it wins.
    reached = np.nonzero(tp >= min_recall * n_pos - 1e-9)[0]
    index = int(reached[0])
    if thresholds[index] <= 0.0:
        raise ConfigError(
            f"recall {min_recall:g} is impossible: it needs images scored 0 counted as positive, "
            "which takes a threshold of 0 or below (thresholds lie strictly between 0 and 1)"
        )
    return _below(thresholds, index)


def lowest_threshold_with_fpr(scores: Any, positives: Any, max_fpr: float) -> float:
    """The lowest threshold whose false-positive rate on ``scores`` is at most ``max_fpr`` (midway into its gap)."""
    max_fpr = _check_fraction(max_fpr, "false-positive rate")
    scores, positives = _as_arrays(scores, positives)
    n_neg = int((~positives).sum())
    if n_neg == 0:
        raise ConfigError("false-positive rate is undefined: there are no negative (class 0) images")
    thresholds, _, fp = _counts_per_threshold(scores, positives)
    # FPR falls as the threshold rises; walk from the lowest threshold up to the first that is low enough.
    allowed = np.nonzero(fp <= max_fpr * n_neg + 1e-9)[0]
    candidates = [int(i) for i in allowed[::-1] if thresholds[i] > 0.0]
    if candidates:
        return _below(thresholds, candidates[0])
    # Only "nothing positive" is allowed: a threshold above the highest score.
    highest = float(thresholds[0])
    if highest >= 1.0:
        worst = int(np.sum(~positives & (scores >= 1.0)))
        raise ConfigError(
            f"false-positive rate {max_fpr:g} is impossible: {worst} of {n_neg} negative images score 1, "
            "and a threshold must stay below 1"
        )
    middle = (highest + 1.0) / 2
    if float(np.float32(middle)) <= highest:
        raise ConfigError(f"false-positive rate {max_fpr:g} is impossible: a negative image scores {highest!r}, too close to 1")
    return middle


def report_scores(report: Any) -> tuple[np.ndarray, np.ndarray]:
    """(scores, positives) of an EvaluationReport, computed as the heads do: float32 ``1 - p(class 0)``, label != 0."""
    probabilities = np.asarray(report.probabilities, dtype=np.float32)  # (N, K)
    if probabilities.ndim != 2 or probabilities.shape[0] == 0:
        raise ConfigError("the evaluation has no per-image probabilities to score")
    scores = np.float32(1.0) - probabilities[:, 0]
    positives = np.asarray(report.labels) != 0
    return scores, positives


@dataclass(frozen=True)
class ScoreHistogram:
    """Counts of negative (class 0) and positive scores in shared bins over [0, 1]."""

    edges: np.ndarray  # bins + 1 edges, 0 to 1
    negatives: np.ndarray  # counts per bin
    positives: np.ndarray


def score_histograms(scores: Any, positives: Any, bins: int = 40) -> ScoreHistogram:
    """Per-class histograms of ``scores`` in ``bins`` equal bins over [0, 1] (a score of 1 is in the last bin)."""
    if int(bins) < 1:
        raise ConfigError(f"bins must be at least 1, got {bins}")
    scores, positives = _as_arrays(scores, positives)
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    clipped = np.clip(scores, 0.0, 1.0)
    return ScoreHistogram(
        edges=edges,
        negatives=np.histogram(clipped[~positives], bins=edges)[0],
        positives=np.histogram(clipped[positives], bins=edges)[0],
    )
