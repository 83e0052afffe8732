"""Detection metrics over every box: COCO-style AP, precision, recall and counts at the threshold.

A head that finds any number of objects per image predicts, besides the
image-level ``probabilities``/``labels``, padded instance tensors:
``instance_boxes`` (N, M, 4) x0, y0, x1, y1 in model-input pixels,
``instance_scores`` (N, M) (0 on padding) and ``instance_classes`` (N, M)
(the object class, 1..K-1). AP comes from torchmetrics' ``MeanAveragePrecision``
(the COCO rules, scored by pycocotools), not a hand-written scorer.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cnnstudio.core.evaluate import metrics as metric_fns

MATCH_IOU = 0.5  # a box found at the threshold counts when it overlaps a true one by this much


def instances(predictions: dict[str, Any], row: int, floor: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Image ``row``'s boxes (K, 4), scores (K,) and classes (K,) scoring above ``floor``, best first."""
    scores = predictions["instance_scores"][row]
    keep = scores > floor
    return predictions["instance_boxes"][row][keep], scores[keep], predictions["instance_classes"][row][keep]


def detection_metrics(predictions: dict[str, Any], targets: Any, threshold: float) -> dict[str, float]:
    """Image accuracy, then (when the images have boxes) AP over every box and the threshold's figures.

    Every true box takes its image's class (``targets.labels``). Keys:
    ``accuracy``; ``ap50``, ``ap50_95`` (COCO AP at IoU 0.5 and averaged over
    0.5:0.95); ``box_precision``, ``box_recall`` (boxes at or above
    ``threshold`` matched one to one at IoU 0.5); ``count_accuracy`` (share of
    images where the number of boxes at the threshold is the true number);
    ``mean_iou`` (each true box's best IoU with a box at the threshold).
    """
    labels = targets.labels
    result = {"accuracy": metric_fns.accuracy(predictions["labels"], labels)}
    if targets.boxes is None:
        return result
    count = len(labels)
    found = [instances(predictions, row) for row in range(count)]
    true_boxes = [torch.as_tensor(b, dtype=torch.float32).reshape(-1, 4) for b in targets.boxes]
    true_classes = [torch.full((len(b),), max(int(label), 1), dtype=torch.long) for b, label in zip(true_boxes, labels)]
    if sum(len(b) for b in true_boxes) == 0:
        return result
    result.update(average_precision(found, true_boxes, true_classes))
    result.update(at_threshold(found, true_boxes, true_classes, threshold))
    return result


def average_precision(
    found: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], true_boxes: list[torch.Tensor], true_classes: list[torch.Tensor],
) -> dict[str, float]:
    """``ap50`` and ``ap50_95`` of (boxes, scores, classes) per image against the true boxes and classes (COCO rules)."""
    from torchmetrics.detection import MeanAveragePrecision

    scorer = MeanAveragePrecision(box_format="xyxy", iou_type="bbox", backend="pycocotools")
    scorer.update(
        [{"boxes": b.float(), "scores": s.float(), "labels": c.long()} for b, s, c in found],
        [{"boxes": b, "labels": c} for b, c in zip(true_boxes, true_classes)],
    )
    scored = scorer.compute()
    result = {}
    for name, key in (("ap50", "map_50"), ("ap50_95", "map")):
        value = float(scored[key])
        if value >= 0 and not math.isnan(value):  # -1: nothing to score
            result[name] = value
    return result


def at_threshold(
    found: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], true_boxes: list[torch.Tensor],
    true_classes: list[torch.Tensor], threshold: float,
) -> dict[str, float]:
    """Precision, recall, count accuracy and mean IoU of the boxes scoring at or above ``threshold``."""
    from torchvision.ops import box_iou  # box heads only: torchvision takes about a second to import

    matched = predicted = right_counts = 0
    best_overlaps: list[float] = []
    for (boxes, scores, classes), truth, truth_classes in zip(found, true_boxes, true_classes):
        keep = scores >= threshold
        boxes, classes = boxes[keep].float(), classes[keep]
        predicted += len(boxes)
        right_counts += int(len(boxes) == len(truth))
        if len(truth) == 0:
            continue
        if len(boxes) == 0:
            best_overlaps.extend([0.0] * len(truth))
            continue
        overlap = box_iou(boxes, truth)  # (found, true)
        best_overlaps.extend(overlap.amax(dim=0).tolist())
        overlap = torch.where(classes[:, None] == truth_classes[None], overlap, torch.zeros_like(overlap))
        taken = torch.zeros(len(truth), dtype=torch.bool)
        for row in range(len(boxes)):  # highest score first: greedy, one true box per found box
            candidates = torch.where(taken, torch.full_like(overlap[row], -1.0), overlap[row])
            best = int(candidates.argmax())
            if float(candidates[best]) >= MATCH_IOU:
                taken[best] = True
                matched += 1
    total_true = sum(len(b) for b in true_boxes)
    return {
        "box_precision": matched / predicted if predicted else 0.0,
        "box_recall": matched / total_true,
        "count_accuracy": right_counts / len(true_boxes),
        "mean_iou": sum(best_overlaps) / len(best_overlaps),
    }
