"""Metrics on whole splits: accuracy, confusion, P/R/F1, ROC AUC, mask and box IoU, detection AP.

All functions take tensors (or anything ``torch.as_tensor`` accepts) and
return plain Python numbers or lists so they go straight into JSON.
"""

from __future__ import annotations

import math

import torch


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``predicted`` class indices equal to ``labels``; NaN if empty."""
    predicted, labels = torch.as_tensor(predicted), torch.as_tensor(labels)
    if labels.numel() == 0:
        return math.nan
    return (predicted == labels).double().mean().item()


def confusion_matrix(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int) -> list[list[int]]:
    """Rows are true classes, columns predicted classes."""
    predicted = torch.as_tensor(predicted, dtype=torch.int64)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    flat = labels * num_classes + predicted
    counts = torch.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).tolist()


def per_class_report(confusion: list[list[int]]) -> list[dict[str, float]]:
    """Precision, recall, F1 and support per class from a confusion matrix.

    A class never predicted has precision 0 (not NaN), as scikit-learn's
    ``zero_division=0``; a class with no examples has recall 0 and support 0.
    """
    matrix = torch.tensor(confusion, dtype=torch.float64)
    true_positive = matrix.diag()
    predicted_count = matrix.sum(dim=0)
    support = matrix.sum(dim=1)
    report = []
    for tp, pred, sup in zip(true_positive.tolist(), predicted_count.tolist(), support.tolist()):
        precision = tp / pred if pred else 0.0
        recall = tp / sup if sup else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report.append({"precision": precision, "recall": recall, "f1": f1, "support": int(sup)})
    return report


def macro_f1(confusion: list[list[int]]) -> float:
    """Mean F1 over classes that have examples."""
    rows = [row for row in per_class_report(confusion) if row["support"] > 0]
    return sum(row["f1"] for row in rows) / len(rows) if rows else math.nan


def roc_auc(scores: torch.Tensor, positives: torch.Tensor) -> float:
    """Area under the ROC curve for a two-class task (Mann-Whitney U, ties count half).

    ``scores``: higher means more likely positive; ``positives``: bool or 0/1.
    NaN when only one class is present.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).flatten()
    positives = torch.as_tensor(positives).flatten().bool()
    n_pos = int(positives.sum())
    n_neg = positives.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    # Average ranks handle ties exactly.
    order = torch.argsort(scores)
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    unique, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    average_rank = ends - (counts.double() - 1) / 2  # 1-based average rank per tie group
    ranks[order] = average_rank[inverse]
    rank_sum = ranks[positives].sum().item()
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def box_iou(boxes_a: torch.Tensor, boxes_b: torch.Tensor) -> torch.Tensor:
    """Element-wise IoU of two (N, 4) x0, y0, x1, y1 box tensors."""
    boxes_a, boxes_b = torch.as_tensor(boxes_a, dtype=torch.float64), torch.as_tensor(boxes_b, dtype=torch.float64)
    top_left = torch.maximum(boxes_a[:, :2], boxes_b[:, :2])
    bottom_right = torch.minimum(boxes_a[:, 2:], boxes_b[:, 2:])
    intersection = (bottom_right - top_left).clamp(min=0).prod(dim=1)
    area_a = (boxes_a[:, 2:] - boxes_a[:, :2]).clamp(min=0).prod(dim=1)
    area_b = (boxes_b[:, 2:] - boxes_b[:, :2]).clamp(min=0).prod(dim=1)
    union = area_a + area_b - intersection
    return torch.where(union > 0, intersection / union, torch.zeros_like(union))


def mask_iou(predicted: torch.Tensor, target: torch.Tensor) -> float:
    """IoU of two boolean masks of the same shape; 1.0 when both are empty."""
    predicted, target = torch.as_tensor(predicted).bool(), torch.as_tensor(target).bool()
    union = (predicted | target).sum().item()
    if union == 0:
        return 1.0
    return (predicted & target).sum().item() / union


def binary_precision_recall_f1(predicted_positive: torch.Tensor, actual_positive: torch.Tensor) -> tuple[float, float, float]:
    """Precision, recall and F1 of a yes/no decision; 0 (not NaN) for an empty denominator."""
    predicted = torch.as_tensor(predicted_positive).flatten().bool()
    actual = torch.as_tensor(actual_positive).flatten().bool()
    true_positive = int((predicted & actual).sum())
    predicted_count, actual_count = int(predicted.sum()), int(actual.sum())
    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / actual_count if actual_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def average_precision(scores: torch.Tensor, is_true_positive: torch.Tensor, num_positives: int) -> float:
    """Area under the precision-recall curve of ranked detections (all-point interpolation).

    ``scores``: one confidence per detection; ``is_true_positive``: whether
    each detection matched a ground-truth object; ``num_positives``: how many
    ground-truth objects exist (missed ones lower the reachable recall).
    Precision at each recall is the best precision at that recall or beyond,
    as in PASCAL VOC 2010+ and COCO. NaN when ``num_positives`` is 0.
    """
    if num_positives <= 0:
        return math.nan
    scores = torch.as_tensor(scores, dtype=torch.float64).flatten()
    hits = torch.as_tensor(is_true_positive).flatten().bool()
    if scores.numel() == 0:
        return 0.0
    order = torch.argsort(scores, descending=True, stable=True)
    hits = hits[order].double()
    true_positives = torch.cumsum(hits, 0)
    precision = true_positives / torch.arange(1, len(hits) + 1, dtype=torch.float64)
    recall = true_positives / num_positives
    # Envelope: the best precision reachable at this recall or a higher one.
    envelope = torch.flip(torch.cummax(torch.flip(precision, [0]), 0).values, [0])
    recall_steps = torch.diff(recall, prepend=torch.zeros(1, dtype=torch.float64))
    return float((recall_steps * envelope).sum())


def largest_box(boxes: torch.Tensor) -> torch.Tensor | None:
    """The (4,) box of largest area among (K, 4) x0, y0, x1, y1 boxes; None when K is 0."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    if len(boxes) == 0:
        return None
    areas = (boxes[:, 2:] - boxes[:, :2]).clamp(min=0).prod(dim=1)
    return boxes[int(areas.argmax())]


def ap_at_iou(
    scores: torch.Tensor,
    pred_boxes: torch.Tensor,
    true_boxes: list[torch.Tensor | None],
    iou_threshold: float = 0.5,
    class_correct: torch.Tensor | None = None,
) -> float:
    """Average precision of one-box-per-image detection at ``iou_threshold``.

    Every image contributes one detection: ``pred_boxes[i]`` (N, 4) with
    confidence ``scores[i]``. It is a true positive when image ``i`` has a
    true box (``true_boxes[i]`` is a (4,) tensor, None when the image has no
    object), the predicted class is right (``class_correct[i]``, all True if
    not given) and the IoU is at least ``iou_threshold``. The number of true
    boxes is the number of images whose entry is not None. NaN when there is none.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).flatten()
    pred_boxes = torch.as_tensor(pred_boxes, dtype=torch.float64).reshape(-1, 4)
    has_box = torch.tensor([box is not None for box in true_boxes], dtype=torch.bool)
    filled = torch.stack([
        torch.as_tensor(box, dtype=torch.float64).reshape(4) if box is not None else torch.zeros(4, dtype=torch.float64)
        for box in true_boxes
    ]) if len(true_boxes) else torch.zeros(0, 4, dtype=torch.float64)
    correct = torch.ones_like(has_box) if class_correct is None else torch.as_tensor(class_correct).flatten().bool()
    hits = has_box & correct & (box_iou(pred_boxes, filled) >= iou_threshold)
    return average_precision(scores, hits, int(has_box.sum()))
