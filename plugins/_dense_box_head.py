"""The dense box head: every object in an image, found on the feature grid (CenterNet style).

From the backbone's feature map (N, C, h, w), through one shared 3x3 conv:

- a heat logit per cell and object class (N, K - 1, h, w): how likely the
  cell holds the centre of an object of that class (class 0, "absent", has
  no channel);
- four box parameters per cell (N, 4, h, w): the object centre's offset from
  the cell's centre, in cells, and the log of its width and height in cells.

Training: the heat map is pulled towards a Gaussian bump around every true
box's centre (the penalty-reduced focal loss of CenterNet, "Objects as
Points"); the box parameters are fitted (smooth L1 plus the generalised IoU
of the decoded box, torchvision.ops) at the cells next to each box's centre.
Each box takes its image's class (an ImageSet holds one label per image).

Decoding: cells that are a local maximum of their 3x3 neighbourhood become
candidates above ``SCORE_FLOOR``, overlapping ones of the same class are
merged by ``torchvision.ops.batched_nms``, and at most ``MAX_DETECTIONS``
boxes per image are kept, highest score first, padded with score 0 so that
batches concatenate. The image's score is its strongest cell's heat.

Private to the bundled plugins (imported lazily from a head's build
function), so torch may be imported at the top.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import batched_nms, generalized_box_iou_loss

from cnnstudio.plugin_api import ConfigError, Head, Targets, decide, private_module, shown, validate_threshold

# The option rules are the heat-map head's, shared.
resolve_options = private_module(__file__, "_heatmap_head").resolve_options

HEAD_ID = "boxes"
DEFAULTS: dict[str, float] = {"threshold": 0.5, "box_weight": 1.0}
OPTIONS = tuple(DEFAULTS)
DEFAULT_INPUT_SIZE = 64
MAX_DETECTIONS = 32  # boxes kept per image after NMS
MAX_CANDIDATES = 64  # strongest peaks per image that go through NMS
SCORE_FLOOR = 0.05  # weaker candidates are dropped before NMS (and never shown)
NMS_IOU = 0.5  # boxes of one class overlapping more than this are one object
# Width of the target bump around a centre, as a share of the box's side in cells (CenterNet's radius, simplified).
BUMP_SHARE = 1 / 6
BUMP_MIN_SIGMA = 0.5
LOG_SIZE_RANGE = (-4.0, 6.0)  # exp() of a log size in cells beyond this is no box
PRIOR = 0.01  # initial heat: a focal loss trains steadily only when cells start near "empty"


class DenseBoxHead(Head):
    """Every object's box; ``forward`` returns (heat logits (N, K-1, h, w), box params (N, 4, h, w))."""

    task = "detection"
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
        hidden = max(16, min(64, channels))
        self.tower = nn.Sequential(nn.Conv2d(channels, hidden, kernel_size=3, padding=1), nn.ReLU())
        self.heat_conv = nn.Conv2d(hidden, num_classes - 1, kernel_size=1)
        self.box_conv = nn.Conv2d(hidden, 4, kernel_size=1)
        nn.init.constant_(self.heat_conv.bias, -math.log((1 - PRIOR) / PRIOR))
        self.register_buffer("threshold", torch.tensor(validate_threshold(threshold, "threshold")))

    def set_threshold(self, value: float) -> None:
        """Change the decision threshold (0 < value < 1); saved with the weights."""
        self.threshold.fill_(validate_threshold(value, "threshold"))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.tower(features)
        return self.heat_conv(hidden), self.box_conv(hidden)

    @property
    def stride(self) -> tuple[float, float]:
        """Input pixels per grid cell, (y, x)."""
        return self.input_size / self.grid[0], self.input_size / self.grid[1]

    def _cell_centres(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(h*w,) x and y of every cell's centre, in cells."""
        height, width = self.grid
        rows, columns = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
        return columns.flatten().float() + 0.5, rows.flatten().float() + 0.5

    def decode_cells(self, box_params: torch.Tensor) -> torch.Tensor:
        """(N, 4, h, w) parameters -> (N, h*w, 4) boxes x0, y0, x1, y1 in input pixels, clamped to the image."""
        stride_y, stride_x = self.stride
        centre_x, centre_y = self._cell_centres(box_params.device)
        params = box_params.float().flatten(2)  # (N, 4, h*w)
        x = (centre_x + params[:, 0]) * stride_x
        y = (centre_y + params[:, 1]) * stride_y
        half_w = params[:, 2].clamp(*LOG_SIZE_RANGE).exp() * stride_x / 2
        half_h = params[:, 3].clamp(*LOG_SIZE_RANGE).exp() * stride_y / 2
        return torch.stack([x - half_w, y - half_h, x + half_w, y + half_h], dim=2).clamp(0, self.input_size)

    def _targets(self, targets: Targets, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(heat target (N, K-1, h*w), box index per (image, cell) or -1 (N, h*w), the boxes (M, 4), their cells' params (M, 4) in cells)."""
        height, width = self.grid
        count, channels = len(targets.labels), self.num_classes - 1
        heat = torch.zeros(count * channels, height * width, device=device)
        owner = torch.full((count, height * width), -1, dtype=torch.long, device=device)
        boxes_per_image = targets.boxes or []
        image = torch.cat([torch.full((len(b),), i, dtype=torch.long) for i, b in enumerate(boxes_per_image)] or
                          [torch.zeros(0, dtype=torch.long)]).to(device)
        if len(image) == 0:
            return heat.view(count, channels, -1), owner, torch.zeros(0, 4, device=device), torch.zeros(0, 4, device=device)
        boxes = torch.cat([b.reshape(-1, 4) for b in boxes_per_image]).to(device, torch.float32)
        classes = (targets.labels.to(device)[image] - 1).clamp(0, channels - 1)
        stride_y, stride_x = self.stride
        centre_x = (boxes[:, 0] + boxes[:, 2]) / 2 / stride_x  # (M,) in cells
        centre_y = (boxes[:, 1] + boxes[:, 3]) / 2 / stride_y
        side_x = ((boxes[:, 2] - boxes[:, 0]) / stride_x).clamp_min(1e-3)
        side_y = ((boxes[:, 3] - boxes[:, 1]) / stride_y).clamp_min(1e-3)
        cell_x, cell_y = self._cell_centres(device)
        dx, dy = cell_x[None] - centre_x[:, None], cell_y[None] - centre_y[:, None]  # (M, h*w)
        sigma_x = (side_x * BUMP_SHARE).clamp_min(BUMP_MIN_SIGMA)[:, None]
        sigma_y = (side_y * BUMP_SHARE).clamp_min(BUMP_MIN_SIGMA)[:, None]
        bump = torch.exp(-(dx / sigma_x) ** 2 / 2 - (dy / sigma_y) ** 2 / 2)
        # The cell holding the centre is the one positive cell of each box.
        centre_cell = (centre_y.floor().clamp(0, height - 1) * width + centre_x.floor().clamp(0, width - 1)).long()
        bump[torch.arange(len(boxes), device=device), centre_cell] = 1.0
        heat.scatter_reduce_(0, (image * channels + classes)[:, None].expand_as(bump), bump, "amax")
        # Box cells: within one cell of the centre; where boxes meet, the nearest centre owns the cell.
        distance = dx.abs().maximum(dy.abs())
        distance = torch.where(distance < 1.0, distance, torch.full_like(distance, math.inf))
        nearest = torch.full((count, height * width), math.inf, device=device)
        nearest.scatter_reduce_(0, image[:, None].expand_as(distance), distance, "amin")
        mine = (distance == nearest[image]) & torch.isfinite(distance)  # (M, h*w)
        box_index, cell_index = mine.nonzero(as_tuple=True)
        owner[image[box_index], cell_index] = box_index
        params = torch.stack([centre_x, centre_y, side_x.log(), side_y.log()], dim=1)
        return heat.view(count, channels, -1), owner, boxes, params

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], targets: Targets) -> torch.Tensor:
        heat_logits, box_params = outputs
        heat_logits = heat_logits.float().flatten(2)  # (N, K-1, h*w)
        target_heat, owner, boxes, params = self._targets(targets, heat_logits.device)
        positive = target_heat >= 1.0
        log_p, log_not_p = F.logsigmoid(heat_logits), F.logsigmoid(-heat_logits)
        p = log_p.exp()
        focal = torch.where(positive, (1 - p) ** 2 * log_p, (1 - target_heat) ** 4 * p**2 * log_not_p)
        loss = -focal.sum() / positive.sum().clamp_min(1)
        image_index, cell_index = (owner >= 0).nonzero(as_tuple=True)
        if self.box_weight == 0 or len(image_index) == 0:
            return loss
        owned = owner[image_index, cell_index]
        cell_x, cell_y = self._cell_centres(heat_logits.device)
        target = torch.stack([params[owned, 0] - cell_x[cell_index], params[owned, 1] - cell_y[cell_index],
                              params[owned, 2], params[owned, 3]], dim=1)
        predicted = box_params.float().flatten(2)[image_index, :, cell_index]  # (P, 4)
        fit = F.smooth_l1_loss(predicted, target, beta=0.1)
        decoded = self.decode_cells(box_params)[image_index, cell_index]
        overlap = generalized_box_iou_loss(decoded, boxes[owned], reduction="mean")
        return loss + self.box_weight * (fit + overlap)

    def predict(self, outputs: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        heat_logits, box_params = outputs
        heat = heat_logits.float().sigmoid()  # (N, K-1, h, w)
        count, channels = heat.shape[:2]
        strongest = heat.flatten(2).amax(dim=2)  # (N, K-1) per class
        score = strongest.amax(dim=1)
        share = strongest / strongest.sum(dim=1, keepdim=True).clamp_min(1e-12)
        probabilities = torch.cat([(1 - score)[:, None], score[:, None] * share], dim=1)
        _, labels = decide(probabilities, self.threshold)
        cell_boxes = self.decode_cells(box_params)  # (N, h*w, 4)
        # The strongest cell is always a peak and survives NMS: its box is the best detection's.
        top_cell = heat.flatten(1).argmax(dim=1) % cell_boxes.shape[1]
        result = {"probabilities": probabilities, "labels": labels, "score": score,
                  "boxes": cell_boxes[torch.arange(count, device=heat.device), top_cell]}
        candidates = self._candidates(heat, cell_boxes)
        # Exported graphs need fixed shapes: the same greedy NMS, written with fixed-size tensors.
        found = _fixed_size_nms(*candidates) if _exporting() else _nms(*candidates)
        result.update(zip(("instance_boxes", "instance_scores", "instance_classes"), found))
        return result

    @staticmethod
    def _candidates(heat: torch.Tensor, cell_boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The ``MAX_CANDIDATES`` strongest local peaks of ``heat`` (N, K-1, h, w), best first:
        boxes (N, C, 4), scores (N, C) (0 under ``SCORE_FLOOR``) and classes (N, C) (1..K-1)."""
        cells = cell_boxes.shape[1]
        peaks = heat * (heat == F.max_pool2d(heat, 3, stride=1, padding=1))
        scores, index = peaks.flatten(1).topk(min(MAX_CANDIDATES, peaks[0].numel()), dim=1)
        boxes = cell_boxes.gather(1, (index % cells)[..., None].expand(-1, -1, 4))
        return boxes, torch.where(scores >= SCORE_FLOOR, scores, torch.zeros_like(scores)), index // cells + 1

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        from cnnstudio.plugin_api import detection_metrics

        return detection_metrics(predictions, targets, float(self.threshold))


def _nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Candidates (N, C, ...) through ``torchvision.ops.batched_nms`` per image and class, padded to ``MAX_DETECTIONS``."""
    count = len(scores)
    image, slot = (scores > 0).nonzero(as_tuple=True)
    kept = batched_nms(boxes[image, slot], scores[image, slot], image * (int(classes.max()) + 1) + classes[image, slot],
                       NMS_IOU)  # highest score first
    kept_image = image[kept]
    # Rank of each kept box within its image (stable: an image's boxes stay best first).
    order = torch.argsort(kept_image, stable=True)
    sorted_image = kept_image[order]
    rank = torch.arange(len(order), device=scores.device) - torch.searchsorted(sorted_image, sorted_image)
    keep = rank < MAX_DETECTIONS
    where, place, chosen = sorted_image[keep], rank[keep], slot[kept[order][keep]]
    out_boxes = torch.zeros(count, MAX_DETECTIONS, 4, device=scores.device)
    out_scores = torch.zeros(count, MAX_DETECTIONS, device=scores.device)
    out_classes = torch.zeros(count, MAX_DETECTIONS, dtype=torch.long, device=scores.device)
    out_boxes[where, place] = boxes[where, chosen]
    out_scores[where, place] = scores[where, chosen]
    out_classes[where, place] = classes[where, chosen]
    return out_boxes, out_scores, out_classes


def _fixed_size_nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``_nms`` with fixed-size tensors only (for exported graphs): the same greedy rule, in score order."""
    count, slots = scores.shape
    top_left = torch.maximum(boxes[:, :, None, :2], boxes[:, None, :, :2])
    bottom_right = torch.minimum(boxes[:, :, None, 2:], boxes[:, None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=3)
    area = (boxes[..., 2:] - boxes[..., :2]).clamp(min=0).prod(dim=2)
    union = area[:, :, None] + area[:, None, :] - inter
    overlap = torch.where(union > 0, inter / union.clamp_min(1e-12), torch.zeros_like(union))
    suppresses = (overlap > NMS_IOU) & (classes[:, :, None] == classes[:, None, :])  # (N, C, C)
    later = torch.arange(slots, device=scores.device)
    later = later[None, :] > later[:, None]  # (C, C): j after i
    keep = scores > 0
    for i in range(slots):  # unrolled in the graph: C small steps
        keep = keep & ~(suppresses[:, i] & later[i] & keep[:, i : i + 1])
    # Kept candidates first, in score order: a fixed-size sort instead of compaction.
    position = torch.arange(slots, device=scores.device).expand(count, slots)
    order = torch.argsort(torch.where(keep, position, position + slots), dim=1)[:, :MAX_DETECTIONS]
    kept = keep.gather(1, order)
    out_boxes = boxes.gather(1, order[..., None].expand(-1, -1, 4)) * kept[..., None]
    return out_boxes, scores.gather(1, order) * kept, classes.gather(1, order) * kept


def _exporting() -> bool:
    """Whether the head runs under an exporter's tracing (TorchScript or torch.export)."""
    return bool(torch.jit.is_tracing() or torch.compiler.is_compiling() or torch.compiler.is_exporting())


def build_dense_box_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> DenseBoxHead:
    """A DenseBoxHead; options ``threshold`` (0.5), ``box_weight`` (1.0) and ``input_size`` (given by the trainer)."""
    resolved = resolve_options(options, HEAD_ID, DEFAULTS, "box_weight")
    input_size = options.get("input_size", DEFAULT_INPUT_SIZE)
    if isinstance(input_size, bool) or not isinstance(input_size, int) or not 1 <= input_size <= 4096:
        raise ConfigError(f"head.options.input_size must be a whole number between 1 and 4096, got {shown(input_size)}")
    return DenseBoxHead(feature_shape, num_classes, input_size, threshold=resolved["threshold"],
                        box_weight=resolved["box_weight"])
