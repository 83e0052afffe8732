"""The defect heat-map head: an image-level defect score plus a low-resolution defect map.

From the backbone's feature map (N, C, h, w):

- a 1x1 conv gives a defect logit per feature cell, the heat map (N, 1, h, w);
- the class logits (N, K) come from the features' global max and mean
  (concatenated) through one linear layer; class 0 is the normal class.

Training: cross-entropy on the class logits (with the trainer's class
weights) plus ``mask_weight`` times a per-cell binary cross-entropy of the
map against the defect mask max-pooled to (h, w), when the dataset has masks.
The decision "defect or not" compares ``score = 1 - p(class 0)`` with a
threshold kept in a saved buffer, so a reloaded model decides the same way.

Private to the bundled plugins (imported lazily from a head's build
function), so torch may be imported at the top.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.plugin_api import ConfigError, Head, Targets, decide, metrics, shorten, shown, validate_threshold

HEAD_ID = "heatmap"
# Options every head receives from the model builder and may ignore.
PASSED_THROUGH = ("global_pool", "input_size")
DEFAULTS: dict[str, float] = {"threshold": 0.5, "mask_weight": 1.0}
# The head.options the head declares (HeadSpec.options): its own, besides PASSED_THROUGH.
OPTIONS = tuple(DEFAULTS)
# Weights above this make the class loss vanish beside the map loss: nonsense, not a setting.
MAX_WEIGHT = 1e6
# Defect cells are rare; weighting them by the full negative/positive ratio makes
# the map mark a wide halo around each defect (bad pixel IoU at 0.5), ignoring the
# ratio lets the map stay all-negative. The square root, capped, sits between.
MAX_POSITIVE_WEIGHT = 10.0


def resolve_options(options: dict[str, Any], head_id: str, defaults: dict[str, float], weight_name: str) -> dict[str, float]:
    """The head's options with defaults filled in; unknown or invalid ones raise ConfigError."""
    known = sorted([*defaults, *PASSED_THROUGH])
    for name in options:
        if name not in known:
            raise ConfigError(
                f"head.options.{shorten(str(name))} is not an option of the {head_id} head "
                f"(options: {', '.join(known)})"
            )
    resolved = {**defaults, **{k: v for k, v in options.items() if k in defaults}}
    resolved["threshold"] = validate_threshold(resolved["threshold"], "head.options.threshold")
    weight = resolved[weight_name]
    # A range comparison also rejects nan and inf, and cannot overflow (float() of a huge int would).
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= MAX_WEIGHT:
        raise ConfigError(f"head.options.{weight_name} must be a number >= 0 and <= {MAX_WEIGHT:g}, got {shown(weight)}")
    resolved[weight_name] = float(weight)
    return resolved


class HeatmapHead(Head):
    """Defect score and heat map; ``forward`` returns (class logits (N, K), map logits (N, 1, h, w))."""

    task = "defect"
    # ROC AUC ranks images by score without a threshold and is not fooled by class
    # imbalance (accuracy is 80% for "never defect" at a 20% defect rate).
    primary_metric = "auc"

    def __init__(self, feature_shape: tuple[int, int, int], num_classes: int, threshold: float = 0.5, mask_weight: float = 1.0) -> None:
        super().__init__(num_classes)
        channels, height, width = feature_shape
        self.map_size = (height, width)
        self.mask_weight = mask_weight
        self.map_conv = nn.Conv2d(channels, 1, kernel_size=1)
        self.fc = nn.Linear(2 * channels, num_classes)
        self.register_buffer("threshold", torch.tensor(validate_threshold(threshold, "threshold")))

    def set_threshold(self, value: float) -> None:
        """Change the decision threshold (0 < value < 1); saved with the weights."""
        self.threshold.fill_(validate_threshold(value, "threshold"))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = torch.cat([features.amax(dim=(2, 3)), features.mean(dim=(2, 3))], dim=1)  # (N, 2C)
        return self.fc(pooled), self.map_conv(features)

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], targets: Targets) -> torch.Tensor:
        logits, map_logits = outputs
        loss = F.cross_entropy(logits, targets.labels, weight=self.class_weights)
        known = None if targets.masks is None else localised(targets)
        if known is not None and self.mask_weight > 0 and bool(known.any()):
            cells = mask_cells(targets.masks[known], map_logits.shape[-2:]).to(map_logits.dtype)  # (n, 1, h, w)
            positives = cells.sum()
            negatives = cells.numel() - positives
            pos_weight = (negatives / positives.clamp_min(1)).sqrt().clamp(1.0, MAX_POSITIVE_WEIGHT)
            pixel_loss = F.binary_cross_entropy_with_logits(map_logits[known], cells, pos_weight=pos_weight.detach())
            loss = loss + self.mask_weight * pixel_loss
        return loss

    def predict(self, outputs: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        logits, map_logits = outputs
        probabilities = logits.float().softmax(dim=1)
        score, labels = decide(probabilities, self.threshold)
        return {
            "probabilities": probabilities,
            "labels": labels,
            "score": score,
            "heatmap": map_logits.float().sigmoid()[:, 0],  # (N, h, w) in [0, 1]
        }

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        return heatmap_metrics(predictions, targets)


def localised(targets: Targets) -> torch.Tensor:
    """(N,) bool: images whose mask says where the defect is (normal images, and defect images with a
    non-empty mask). A defect image with an empty mask (an MVTec image without its ground-truth file)
    tells nothing about where, so it trains the score but not the map."""
    has_pixels = targets.masks.flatten(1).amax(dim=1) > 0
    return (targets.labels == 0) | has_pixels


def mask_cells(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, H, W) masks -> (N, 1, h, w): a cell is 1 when any pixel in it is (a small defect still marks its cell)."""
    return F.adaptive_max_pool2d(masks[:, None].float(), tuple(size))


def heatmap_metrics(predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
    """Accuracy, precision/recall/F1 of "not class 0", ROC AUC and pixel IoU (see the module docstring)."""
    labels, predicted = targets.labels, predictions["labels"]
    actual_defect = labels != 0
    precision, recall, f1 = metrics.binary_precision_recall_f1(predicted != 0, actual_defect)
    result = {
        "accuracy": metrics.accuracy(predicted, labels),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    auc = metrics.roc_auc(predictions["score"].detach(), actual_defect)
    if not math.isnan(auc):
        result["auc"] = auc
    if targets.masks is not None:
        with_mask = actual_defect & localised(targets)
        if bool(with_mask.any()):
            result["pixel_iou"] = pixel_iou(predictions["heatmap"].detach()[with_mask], targets.masks[with_mask])
    return result


def pixel_iou(heatmaps: torch.Tensor, masks: torch.Tensor) -> float:
    """IoU over all pixels of heat maps (N, h, w) upsampled to masks (N, H, W) and cut at 0.5."""
    upsampled = F.interpolate(heatmaps[:, None].float(), size=tuple(masks.shape[-2:]), mode="bilinear", align_corners=False)
    return metrics.mask_iou(upsampled[:, 0] > 0.5, masks > 0.5)


def build_heatmap_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> HeatmapHead:
    """A HeatmapHead; options ``threshold`` (0.5) and ``mask_weight`` (1.0)."""
    resolved = resolve_options(options, HEAD_ID, DEFAULTS, "mask_weight")
    return HeatmapHead(feature_shape, num_classes, threshold=resolved["threshold"], mask_weight=resolved["mask_weight"])
