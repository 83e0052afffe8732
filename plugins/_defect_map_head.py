"""The defect-map head: the heat-map head's score and threshold, with its map at input resolution.

The coarse heat map marks one cell per 8 input pixels, so a 1-2 px scratch
is a faint smear and its peak can be 4-8 px off. This head adds a light
U-Net-style decoder: starting from the backbone's feature map it upsamples
one stage at a time and adds each stage's last map before pooling (the
model's skip features), so the finest step sees the first conv layer's
full-resolution responses. The map has one value per input pixel.

The image score reads the map too: the mean of the map's strongest logits
(the top ``1/TOP_SHARE`` of its pixels) joins the features' global max and
mean in the class layer, so a defect the map finds raises the score even
when it is too small to move the pooled features.

Training: cross-entropy on the class logits plus ``mask_weight`` times a
per-pixel loss: binary cross-entropy in which the defect pixels weigh as
much as all the good ones together, plus a soft Dice term over the defect
images. A 2 px scratch is 0.3% of a 128 px image; weighting it by the
square root of that ratio, as the coarse head does, left the map blank on
hairline scratches (peak within 4 px on 0% of held-out crops; balanced: 68%).
The raw map's halo is wider for it; ``map_offset`` takes half of that
back before the map is shown or cut at 0.5.

Private to the bundled plugins (imported lazily from a head's build
function), so torch may be imported at the top.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.plugin_api import Head, Targets, decide, private_module, validate_threshold

_heatmap = private_module(__file__, "_heatmap_head")

HEAD_ID = "defect_map"
DEFAULTS: dict[str, float] = {"threshold": 0.5, "mask_weight": 1.0}
OPTIONS = tuple(DEFAULTS)
# Channels of the decoder's coarse steps and of its last two (the costly, fine ones).
DECODER_WIDTH = 16
FINEST_WIDTH = 8
# The image evidence is the mean of the top 1/TOP_SHARE of the map's logits (32 pixels of a 128 px map).
TOP_SHARE = 512
# How fast the running share of defect pixels follows each training batch (as batch-norm's statistics).
SHARE_MOMENTUM = 0.05


class DefectMapHead(Head):
    """Defect score and a per-pixel map; ``forward`` returns (class logits (N, K), map logits (N, 1, H, W))."""

    task = "defect"
    primary_metric = "auc"
    skip_features = True
    threshold: torch.Tensor  # buffers, registered in __init__
    defect_pixel_share: torch.Tensor

    def __init__(self, feature_shape: tuple[int, int, int], num_classes: int, input_size: int,
                 threshold: float = 0.5, mask_weight: float = 1.0) -> None:
        super().__init__(num_classes)
        channels = feature_shape[0]
        self.input_size = input_size
        self.mask_weight = mask_weight
        self.top = nn.Conv2d(channels, DECODER_WIDTH, kernel_size=1)
        self.fc = nn.Linear(2 * channels + 1, num_classes)
        self.lateral = nn.ModuleList()
        self.refine = nn.ModuleList()
        self.out: nn.Conv2d  # the last 3x3 conv to one logit per pixel, made by attach_skips
        self.register_buffer("threshold", torch.tensor(validate_threshold(threshold, "threshold")))
        # The share of defect pixels seen in training (a running mean, saved with the weights): see ``map_offset``.
        self.register_buffer("defect_pixel_share", torch.tensor(0.5))

    def attach_skips(self, shapes: list[tuple[int, int, int]]) -> None:
        """Per stage, coarsest first: a lateral 1x1 conv for its skip, then a 3x3 conv that refines the
        sum (at the finest stage only a ReLU: a 3x3 conv at full resolution would cost as much as the
        backbone's first layer, and ``out`` is one already)."""
        width = DECODER_WIDTH
        for index, (channels, _, _) in enumerate(reversed(shapes)):
            finest = index == len(shapes) - 1
            next_width = FINEST_WIDTH if index >= len(shapes) - 2 else DECODER_WIDTH
            self.lateral.append(nn.Conv2d(channels, width, kernel_size=1))
            self.refine.append(nn.ReLU() if finest else
                               nn.Sequential(nn.Conv2d(width, next_width, kernel_size=3, padding=1), nn.ReLU()))
            width = width if finest else next_width
        self.out = nn.Conv2d(width, 1, kernel_size=3, padding=1)

    def set_threshold(self, value: float) -> None:
        """Change the decision threshold (0 < value < 1); saved with the weights."""
        self.threshold.fill_(validate_threshold(value, "threshold"))

    def forward(self, features: torch.Tensor, skips: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.top(features))
        for skip, lateral, refine in zip(reversed(skips or []), self.lateral, self.refine, strict=False):
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest") + lateral(skip)
            x = refine(x)
        map_logits = self.out(x)
        if map_logits.shape[-1] != self.input_size or map_logits.shape[-2] != self.input_size:
            map_logits = F.interpolate(map_logits, size=(self.input_size, self.input_size), mode="bilinear",
                                       align_corners=False)
        flat = map_logits.flatten(1)
        evidence = flat.topk(max(1, flat.shape[1] // TOP_SHARE), dim=1).values.mean(dim=1, keepdim=True)
        pooled = torch.cat([features.amax(dim=(2, 3)), features.mean(dim=(2, 3)), evidence], dim=1)
        return self.fc(pooled), map_logits

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], targets: Targets) -> torch.Tensor:
        logits, map_logits = outputs
        loss = F.cross_entropy(logits, targets.labels, weight=self.class_weights)
        known = None if targets.masks is None else _heatmap.localised(targets)
        if known is not None and self.mask_weight > 0 and bool(known.any()):
            truth = _heatmap.mask_cells(targets.masks[known], map_logits.shape[-2:]).to(map_logits.dtype)
            loss = loss + self.mask_weight * pixel_loss(map_logits[known], truth)
            if self.training:
                with torch.no_grad():
                    share = truth.float().mean().clamp(1e-6, 0.5)
                    self.defect_pixel_share.lerp_(share.to(self.defect_pixel_share), SHARE_MOMENTUM)
        return loss

    def map_offset(self) -> torch.Tensor:
        """What the map's logits lose before the sigmoid. The pixel loss weighs defect pixels as if they were
        half of all, so its raw probabilities mark a wide halo; taking off half the log-odds of the real
        share undoes half that prior shift (on real textures: pixel IoU at 0.5 0.17 instead of 0.06,
        where the full shift leaves hairline scratches below 0.5)."""
        share = self.defect_pixel_share.clamp(1e-6, 0.5)
        return 0.5 * torch.log((1 - share) / share)

    def predict(self, outputs: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        logits, map_logits = outputs
        probabilities = logits.float().softmax(dim=1)
        score, labels = decide(probabilities, self.threshold)
        return {"probabilities": probabilities, "labels": labels, "score": score,
                "heatmap": (map_logits.float() - self.map_offset()).sigmoid()[:, 0]}

    def metrics(self, predictions: dict[str, torch.Tensor], targets: Targets) -> dict[str, float]:
        return _heatmap.heatmap_metrics(predictions, targets)


def pixel_loss(map_logits: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy in which the defect pixels weigh as much as all the good ones together,
    plus soft Dice over the maps that have a defect."""
    per_pixel = F.binary_cross_entropy_with_logits(map_logits, truth, reduction="none")
    positive = truth > 0.5
    loss = per_pixel[~positive].mean()
    if bool(positive.any()):
        loss = 0.5 * loss + 0.5 * per_pixel[positive].mean()
    with_defect = truth.flatten(1).amax(dim=1) > 0
    if bool(with_defect.any()):
        probabilities = map_logits[with_defect].sigmoid().flatten(1)
        wanted = truth[with_defect].flatten(1)
        overlap = (probabilities * wanted).sum(dim=1)
        dice = 1 - (2 * overlap + 1) / (probabilities.sum(dim=1) + wanted.sum(dim=1) + 1)
        loss = loss + dice.mean()
    return loss


def build_defect_map_head(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> DefectMapHead:
    """A DefectMapHead; options ``threshold`` (0.5) and ``mask_weight`` (1.0)."""
    resolved = _heatmap.resolve_options(options, HEAD_ID, DEFAULTS, "mask_weight")
    return DefectMapHead(feature_shape, num_classes, int(options.get("input_size", feature_shape[1])),
                         threshold=resolved["threshold"], mask_weight=resolved["mask_weight"])
