"""The box head: presence/class score plus one box per image, regressed on the feature grid.

From the backbone's feature map (N, C, h, w):

- class logits (N, K) from the features' global max and mean through one
  linear layer; class 0 is "absent" (no object);
- a "where" logit per grid cell (N, h*w) from a 1x1 conv: which cell holds
  the object's centre;
- four box parameters per cell (N, 4, h, w) from a 1x1 conv: the centre's
  offset inside its cell (through a sigmoid, 0..1) and the log of the box
  width and height relative to the model input size.

Training: cross-entropy on the class logits (with the trainer's class
weights) plus ``box_weight`` times [cross-entropy of the where logits towards
the cell holding the target box's centre + smooth L1 of the box parameters at
that cell], over the images that have a box (their largest one). Decoding
takes the most likely cell and turns its parameters into x0, y0, x1, y1 in
model-input pixels, clamped to the image.

Private to the bundled plugins (imported lazily from a head's build
function), so torch may be imported at the top.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.plugin_api import ConfigError, Head, Targets, decide, metrics, private_module, shown, validate_threshold

# The option rules are the heat-map head's, shared.
resolve_options = private_module(__file__, "_heatmap_head").resolve_options

HEAD_ID = "box"
DEFAULTS: dict[str, float] = {"threshold": 0.5, "box_weight": 1.0}
# The head.options the head declares (HeadSpec.options); the host adds global_pool and input_size.
OPTIONS = tuple(DEFAULTS)
DEFAULT_INPUT_SIZE = 64
# exp() of a log size beyond this would be a box many times the image: clamp before decoding.
LOG_SIZE_RANGE = (-6.0, 1.0)


class BoxHead(Head):
    """Presence score and one box; ``forward`` returns (class logits (N, K), where (N, h*w), box params (N, 4, h, w))."""

    task = "detection"
    # AP at IoU 0.5 rewards a confident score only when the box is right too.
    primary_metric = "ap50"

    def __init__(
        self, feature_shape: tuple[int, int, int], num_classes: int, input_size: int = DEFAULT_INPUT_SIZE,
        threshold: float = 0.5, box_weight: float = 1.0,
    ) -> None:
        super().__init__(num_classes)
        channels, height, width = feature_shape
        self.grid = (height, width)
        self.input_size = int(input_size)
        self.box_weight = box_weight
        self.fc = nn.Linear(2 * channels, num_classes)
        self.where_conv = nn.Conv2d(channels, 1, kernel_size=1)
        self.box_conv = nn.Conv2d(channels, 4, kernel_size=1)
        self.register_buffer("threshold", torch.tensor(validate_threshold(threshold, "threshold")))

    def set_threshold(self, value: float) -> None:
        """Change the decision threshold (0 < value < 1); saved with the weights."""
        self.threshold.fill_(validate_threshold(value, "threshold"))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pooled = torch.cat([features.amax(dim=(2, 3)), features.mean(dim=(2, 3))], dim=1)  # (N, 2C)
        return self.fc(pooled), self.where_conv(features).flatten(1), self.box_conv(features)

    @property
    def stride(self) -> tuple[float, float]:
        """Input pixels per grid cell, (y, x)."""
        return self.input_size / self.grid[0], self.input_size / self.grid[1]

    def encode(self, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(M, 4) boxes in input pixels -> (cell index (M,), target params (M, 4))."""
        stride_y, stride_x = self.stride
        height, width = self.grid
        centre_x = (boxes[:, 0] + boxes[:, 2]) / 2 / stride_x
        centre_y = (boxes[:, 1] + boxes[:, 3]) / 2 / stride_y
        column = centre_x.floor().clamp(0, width - 1)
        row = centre_y.floor().clamp(0, height - 1)
        size = (boxes[:, 2:] - boxes[:, :2]).clamp_min(1.0) / self.input_size  # at least one pixel
        params = torch.stack([
            (centre_x - column).clamp(0, 1), (centre_y - row).clamp(0, 1), size[:, 0].log(), size[:, 1].log(),
        ], dim=1)
        return (row * width + column).long(), params

    def decode(self, where: torch.Tensor, box_params: torch.Tensor) -> torch.Tensor:
        """Most likely cell's box: (N, h*w), (N, 4, h, w) -> (N, 4) x0, y0, x1, y1 in input pixels."""
        stride_y, stride_x = self.stride
        width = self.grid[1]
        cell = where.argmax(dim=1)  # (N,)
        params = box_params.flatten(2).gather(2, cell[:, None, None].expand(-1, 4, 1))[:, :, 0].float()  # (N, 4)
        centre_x = ((cell % width).float() + params[:, 0].sigmoid()) * stride_x
        centre_y = ((cell // width).float() + params[:, 1].sigmoid()) * stride_y
        half = params[:, 2:].clamp(*LOG_SIZE_RANGE).exp() * self.input_size / 2  # (N, 2) half width, half height
        boxes = torch.stack([centre_x - half[:, 0], centre_y - half[:, 1], centre_x + half[:, 0], centre_y + half[:, 1]], dim=1)
        return boxes.clamp(0, self.input_size)

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], targets: Targets) -> torch.Tensor:
        logits, where, box_params = outputs
        loss = F.cross_entropy(logits, targets.labels, weight=self.class_weights)
        if targets.boxes is None or self.box_weight == 0:
            return loss
        chosen = [(i, metrics.largest_box(b)) for i, b in enumerate(targets.boxes)]
        chosen = [(i, box) for i, box in chosen if box is not None]
        if not chosen:
            return loss
        index = torch.tensor([i for i, _ in chosen], device=where.device)
        boxes = torch.stack([box for _, box in chosen]).to(where.device, torch.float32)  # (M, 4)
        cell, target_params = self.encode(boxes)
        where_loss = F.cross_entropy(where[index], cell)
        params = box_params[index].flatten(2).gather(2, cell[:, None, None].expand(-1, 4, 1))[:, :, 0]  # (M, 4)
        predicted = torch.cat([params[:, :2].sigmoid(), params[:, 2:]], dim=1)
        box_loss = F.smooth_l1_loss(predicted, target_params, beta=0.1)
        return loss + self.box_weight * (where_loss + box_loss)

    def predict(self, outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        logits, where, box_params = outputs
        probabilities = logits.float().softmax(dim=1)
        score, labels = decide(probabilities, self.threshold)
        return {"probabilities": probabilities, "labels": labels, "score": score, "boxes": self.decode(where, box_params)}

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        return box_metrics(predictions, targets)


def box_metrics(predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
    """Presence/class accuracy, mean IoU of the box on images with one, AP at IoU 0.5."""
    labels = targets.labels
    result = {"accuracy": metrics.accuracy(predictions["labels"], labels)}
    if targets.boxes is None:
        return result
    true_boxes = [metrics.largest_box(b) for b in targets.boxes]
    has_box = torch.tensor([box is not None for box in true_boxes], dtype=torch.bool)
    if not bool(has_box.any()):
        return result
    filled = torch.stack([box for box in true_boxes if box is not None])
    boxes = predictions["boxes"].detach()
    result["mean_iou"] = float(metrics.box_iou(boxes[has_box], filled).mean())
    # The class of a detection is the likeliest non-absent class, whatever the threshold:
    # AP sweeps the score over every threshold itself.
    object_class = predictions["probabilities"][:, 1:].argmax(dim=1) + 1
    ap50 = metrics.ap_at_iou(predictions["score"].detach(), boxes, true_boxes, 0.5, class_correct=object_class == labels)
    if not math.isnan(ap50):
        result["ap50"] = ap50
    return result


def build_box_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> BoxHead:
    """A BoxHead; options ``threshold`` (0.5), ``box_weight`` (1.0) and ``input_size`` (given by the trainer)."""
    resolved = resolve_options(options, HEAD_ID, DEFAULTS, "box_weight")
    input_size = options.get("input_size", DEFAULT_INPUT_SIZE)
    if isinstance(input_size, bool) or not isinstance(input_size, int) or not 1 <= input_size <= 4096:
        raise ConfigError(f"head.options.input_size must be a whole number between 1 and 4096, got {shown(input_size)}")
    return BoxHead(feature_shape, num_classes, input_size, threshold=resolved["threshold"], box_weight=resolved["box_weight"])
