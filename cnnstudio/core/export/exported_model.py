"""The module that gets exported: raw uint8 RGB images in, the run's decisions out.

    wrapper = ExportableModel(trained)            # trained: a TrainedModel
    logits, probabilities, decision, *rest = wrapper(images)   # images: (N, H, W, 3) uint8

Everything a deployment would otherwise have to re-implement lives inside:
HWC -> CHW, the resize to the model's input size (antialiased bilinear, like
the training pipeline), scaling to [0, 1], the run's normalisation (inside
``CNNModel``), the head's decoding and its saved decision threshold. Outputs,
in order: ``logits`` (N, C), ``probabilities`` (N, C), ``decision`` (N,)
int64, then ``score`` (N,), ``heatmap`` (N, h, w), ``boxes`` (N, 4) and the ``instance_*`` boxes when
the head produces them (see ``output_names``).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.core.evaluate.prediction import TrainedModel
from cnnstudio.core.model.network import CNNModel

BASE_OUTPUTS = ("logits", "probabilities", "decision")
# instance_*: every box of a head that finds several (padded, score 0 on padding), NMS inside the graph.
OPTIONAL_OUTPUTS = ("score", "heatmap", "boxes", "instance_boxes", "instance_scores", "instance_classes")


class DecodedModel(nn.Module):
    """CNNModel + head.predict as one module returning a fixed tuple of tensors (traceable)."""

    def __init__(self, model: CNNModel, optional: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.optional = optional

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs = self.model(images)
        predicted = self.model.head.predict(outputs)
        logits = outputs if isinstance(outputs, torch.Tensor) else outputs[0]
        labels = predicted.get("labels")
        if labels is None:
            labels = predicted["probabilities"].argmax(dim=1)
        result = [logits.float(), predicted["probabilities"], labels.to(torch.int64)]
        result.extend(predicted[name].float() for name in self.optional)
        return tuple(result)


def head_outputs(model: CNNModel, input_size: int) -> tuple[str, ...]:
    """Which optional outputs (score, heatmap, boxes) the model's head produces."""
    with torch.no_grad():
        probe = model.head.predict(model(torch.zeros(1, 3, input_size, input_size)))
    return tuple(name for name in OPTIONAL_OUTPUTS if name in probe)


class ExportableModel(nn.Module):
    """A trained run as one module taking (N, H, W, 3) uint8 RGB images of any height and width."""

    def __init__(self, trained: TrainedModel) -> None:
        super().__init__()
        # A copy: exporting must not move or freeze the caller's model.
        model = copy.deepcopy(trained.model).cpu().eval().requires_grad_(False)
        self.size = int(trained.input_size)
        optional = head_outputs(model, self.size)
        self.output_names: list[str] = [*BASE_OUTPUTS, *optional]
        self.core = DecodedModel(model, optional)

    # No return annotation: TorchScript cannot read ``tuple[Tensor, ...]`` and infers it from the traced core.
    def forward(self, images: torch.Tensor):  # noqa: ANN201
        x = images.permute(0, 3, 1, 2).float()
        if x.shape[2] != self.size or x.shape[3] != self.size:
            # Not rounded back to whole grey levels as the uint8 training resize is:
            # resizes by simple ratios (64 -> 32) put many pixels exactly on .5, and
            # onnxruntime and PyTorch then round a few of them differently, which
            # moves logits by ~1e-2. Unrounded, they agree to ~1e-6.
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
            x = x.clamp(0.0, 255.0)
        return self.core(x / 255.0)
