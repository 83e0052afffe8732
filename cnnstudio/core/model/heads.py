"""The Head contract and the built-in classification head.

A head receives the backbone's feature map ``(N, C, H, W)`` (never
flattened by the backbone) and owns everything task-specific: its loss, the
decoding of raw outputs into predictions, and its metrics. The trainer only
ever calls the four methods below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate import metrics as metric_fns
from cnnstudio.core.model.decision import DEFAULT_THRESHOLD, validate_threshold
from cnnstudio.core.specs import check_head_options

GLOBAL_POOLS = ("none", "avg", "max")
_Part = TypeVar("_Part")
# The head.options of the classification head (the host adds input_size).
CLASSIFICATION_OPTIONS = ("global_pool",)


@dataclass
class Targets:
    """What a batch should be predicted as.

    labels: (N,) int64; masks: (N, H, W) float in [0, 1] or None;
    boxes: one (K_i, 4) float tensor per image or None.
    """

    labels: torch.Tensor
    masks: torch.Tensor | None = None
    boxes: list[torch.Tensor] | None = None

    def to(self, device: torch.device | str) -> Targets:
        return Targets(
            labels=self.labels.to(device),
            masks=None if self.masks is None else self.masks.to(device),
            boxes=None if self.boxes is None else [b.to(device) for b in self.boxes],
        )

    @staticmethod
    def concat(parts: list[Targets]) -> Targets:
        return Targets(
            labels=torch.cat([p.labels for p in parts]),
            masks=None if parts[0].masks is None else torch.cat(_all_present([p.masks for p in parts], "masks")),
            boxes=None if parts[0].boxes is None else [b for boxes in _all_present([p.boxes for p in parts], "boxes")
                                                       for b in boxes],
        )


def _all_present(items: list[_Part | None], what: str) -> list[_Part]:
    """``items``, which must all be there: TypeError when only some parts have ``what``."""
    present = [item for item in items if item is not None]
    if len(present) != len(items):
        raise TypeError(f"Targets.concat: the first part has {what}, but not every other part does")
    return present


class Head(nn.Module):
    """Base class of every head.

    Subclasses implement ``forward``, ``loss``, ``predict`` and ``metrics``.
    ``predict`` must return at least ``"probabilities"`` (N, num_classes) so
    that accuracy and the confusion matrix work for every task. Optional keys:
    ``"labels"`` (N,) the decided classes after the head's threshold (default:
    the argmax), ``"score"`` (N,) the probability of "not class 0" (class 0 is
    the normal / absent class of defect and detection tasks), ``"heatmap"``
    (N, h, w) in [0, 1] and ``"boxes"`` (N, 4) x0, y0, x1, y1 in model-input
    pixels. A thresholded head keeps its threshold in a persistent 0-dim
    buffer ``threshold`` (saved with the weights) and has ``set_threshold``.
    ``build`` options always include ``input_size`` (the model's input side)
    and ``global_pool`` (the model config's) besides the user's. Metrics are
    higher-is-better unless their name ends in ``loss``; ``primary_metric``
    picks the best checkpoint (it is looked up with a ``val_`` prefix).

    A head that needs the backbone's finer maps (a decoder back to input
    resolution) sets ``skip_features = True`` and implements
    ``attach_skips(shapes)``: the model calls it once after building the head
    with each stage's (channels, height, width), finest first, and ``forward``
    then receives ``(features, skips)``.
    """

    task: str = "classification"
    primary_metric: str = "accuracy"
    skip_features: bool = False
    class_weights: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        # Set by the trainer for class-balanced losses; not saved with the model.
        self.register_buffer("class_weights", torch.ones(num_classes), persistent=False)

    def set_class_weights(self, weights: torch.Tensor) -> None:
        self.class_weights = weights.to(self.class_weights)

    def attach_skips(self, shapes: list[tuple[int, int, int]]) -> None:
        """Build the layers that read the skip features (only called when ``skip_features``)."""
        raise NotImplementedError

    def loss(self, outputs: Any, targets: Targets) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, outputs: Any) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        raise NotImplementedError


def decided_labels(predictions: dict[str, Any]) -> torch.Tensor:
    """The classes a head decided on: its ``labels`` (threshold applied) or the argmax."""
    labels = predictions.get("labels")
    return labels if labels is not None else predictions["probabilities"].argmax(dim=1)


class ClassificationHead(Head):
    """Global pooling (optional) -> flatten -> one linear layer -> class logits.

    With ``global_pool="none"`` this is the lesson's ``fc1`` on the flattened
    map, whose size is inferred from ``feature_shape`` instead of typed in.
    With two classes it scores p(class 1) and decides class 1 at or above its
    ``threshold`` (0.5 until chosen: the same as the argmax), so two-class
    "ok / defect" folders get the threshold studio too.
    """

    threshold: torch.Tensor  # a buffer, registered in __init__ for two classes only

    def __init__(self, feature_shape: tuple[int, int, int], num_classes: int, global_pool: str = "none") -> None:
        super().__init__(num_classes)
        if global_pool not in GLOBAL_POOLS:
            raise ConfigError(f"model.global_pool must be one of {', '.join(GLOBAL_POOLS)}, got {global_pool!r}")
        channels, height, width = feature_shape
        self.global_pool = global_pool
        self.in_features = channels if global_pool != "none" else channels * height * width
        self.fc = nn.Linear(self.in_features, num_classes)
        if num_classes == 2:
            self.register_buffer("threshold", torch.tensor(DEFAULT_THRESHOLD))

    def set_threshold(self, value: float) -> None:
        """Change the decision threshold of a two-class head (0 < value < 1); saved with the weights."""
        if not hasattr(self, "threshold"):
            raise ConfigError(f"a {self.num_classes}-class classification head decides by the highest probability; "
                              "only a two-class one has a threshold")
        self.threshold.fill_(validate_threshold(value))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # Runs saved before two-class heads had a threshold decided by the argmax: 0.5 does the same.
        if hasattr(self, "threshold") and f"{prefix}fc.weight" in state_dict:
            state_dict.setdefault(f"{prefix}threshold", torch.tensor(DEFAULT_THRESHOLD))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.global_pool == "avg":
            features = features.mean(dim=(2, 3))
        elif self.global_pool == "max":
            features = features.amax(dim=(2, 3))
        return self.fc(features.flatten(1))  # (N, num_classes) logits

    def loss(self, outputs: torch.Tensor, targets: Targets) -> torch.Tensor:
        return F.cross_entropy(outputs, targets.labels, weight=self.class_weights)

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities = outputs.float().softmax(dim=1)
        if self.num_classes != 2:
            return {"probabilities": probabilities, "labels": probabilities.argmax(dim=1)}
        score = probabilities[:, 1]
        return {"probabilities": probabilities, "labels": (score >= self.threshold).long(), "score": score}

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        return classification_metrics(predictions["probabilities"], targets.labels)


def classification_metrics(probabilities: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Accuracy and macro F1, plus ROC AUC of class 1 for two-class tasks."""
    num_classes = probabilities.shape[1]
    predicted = probabilities.argmax(dim=1)
    confusion = metric_fns.confusion_matrix(predicted, labels, num_classes)
    result = {
        "accuracy": metric_fns.accuracy(predicted, labels),
        "macro_f1": metric_fns.macro_f1(confusion),
    }
    if num_classes == 2:
        auc = metric_fns.roc_auc(probabilities[:, 1], labels == 1)
        if not math.isnan(auc):
            result["auc"] = auc
    return result


def build_classification_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> ClassificationHead:
    check_head_options("classification", options, CLASSIFICATION_OPTIONS)
    return ClassificationHead(feature_shape, num_classes, global_pool=options.get("global_pool", "none"))
