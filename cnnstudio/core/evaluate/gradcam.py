"""Grad-CAM: which parts of an image made the model choose a class.

For a backbone layer with activations ``A`` (N, C, h, w) and a class score
``y``, each channel is weighted by its mean gradient ``w_c = mean(dy/dA_c)``
and the map is ``relu(sum_c w_c A_c)``, upsampled to the input size and
scaled to [0, 1] per image (Selvaraju et al., 2017). Works for every head
whose ``predict`` gives ``"probabilities"``: the classification head's class
logit is used directly, other heads' log-probability of the class.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.heads import ClassificationHead, decided_labels
from cnnstudio.core.model.network import CNNModel


def gradcam_layer_names(model: CNNModel) -> list[str]:
    """The backbone layers Grad-CAM can explain, in order (conv1, bn1, act1, pool1, ...)."""
    return [name for name, _ in model.backbone.named_children()]


def default_gradcam_layer(model: CNNModel) -> str:
    """The last conv layer: the most semantic map that still has spatial detail."""
    convs = model.conv_layers()
    if not convs:
        raise ConfigError("model.conv_layers: the model has no conv layer for Grad-CAM")
    return convs[-1][0]


def _class_scores(model: CNNModel, outputs: Any, target: torch.Tensor) -> torch.Tensor:
    """(N,) the differentiable score of each image's target class."""
    if isinstance(model.head, ClassificationHead) and isinstance(outputs, torch.Tensor):
        return outputs.float().gather(1, target[:, None])[:, 0]
    probabilities = model.head.predict(outputs)["probabilities"]  # (N, K)
    return probabilities.gather(1, target[:, None])[:, 0].clamp_min(1e-12).log()


def _resolve_target(model: CNNModel, outputs: Any, target: int | torch.Tensor | None, count: int) -> torch.Tensor:
    if target is None:
        with torch.no_grad():
            return decided_labels(model.head.predict(outputs)).long()
    if isinstance(target, int):
        return torch.full((count,), target, dtype=torch.long)
    target = torch.as_tensor(target, dtype=torch.long).reshape(-1)
    if target.numel() == 1:
        return target.expand(count).clone()
    if target.numel() != count:
        raise ConfigError(f"gradcam target: expected 1 or {count} classes, got {target.numel()}")
    return target


def grad_cam(
    model: CNNModel,
    images: torch.Tensor,
    layer: str | None = None,
    target: int | torch.Tensor | None = None,
) -> torch.Tensor:
    """Grad-CAM maps (N, H, W) in [0, 1] for ``images`` (N, 3, H, W) float in [0, 1].

    ``layer`` names a backbone layer (default: the last conv layer);
    ``target`` is one class for all images, one per image, or None for the
    class each image is predicted as. A map with no positive evidence stays
    all zero. The model is run in eval mode (its mode is restored afterwards)
    and no gradient is left on its parameters.
    """
    layer = layer or default_gradcam_layer(model)
    modules = dict(model.backbone.named_children())
    if layer not in modules:
        raise ConfigError(f"gradcam layer {layer!r} is not a backbone layer; choose one of: {', '.join(modules)}")
    count, _, height, width = images.shape
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else images.device
    # Gradients must reach the layer even when every parameter is frozen.
    inputs = images.detach().to(device=device, dtype=torch.float32).clone().requires_grad_(True)
    captured: list[torch.Tensor] = []

    def keep_output(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        captured.append(output)

    was_training = model.training
    model.eval()
    handle = modules[layer].register_forward_hook(keep_output)
    try:
        with torch.enable_grad():
            outputs = model(inputs)
            classes = _resolve_target(model, outputs, target, count).to(device)
            num_classes = model.head.num_classes
            if bool(((classes < 0) | (classes >= num_classes)).any()):
                raise ConfigError(f"gradcam target: classes must be in 0..{num_classes - 1}, got {classes.tolist()}")
            scores = _class_scores(model, outputs, classes)
            activations = captured[-1]  # (N, C, h, w)
            # Images are independent in eval mode, so one backward of the sum gives every image's gradient.
            (gradients,) = torch.autograd.grad(scores.sum(), activations)
    finally:
        handle.remove()
        model.train(was_training)
    activations, gradients = activations.detach().float(), gradients.float()
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))  # (N, 1, h, w)
    cam = F.interpolate(cam, size=(height, width), mode="bilinear", align_corners=False)[:, 0]
    cam = cam.clamp_min(0)
    peak = cam.flatten(1).amax(dim=1).reshape(-1, 1, 1)
    return torch.where(peak > 0, cam / peak.clamp_min(1e-12), torch.zeros_like(cam)).contiguous()
