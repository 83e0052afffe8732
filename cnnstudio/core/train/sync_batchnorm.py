"""Batch-norm over the global batch when several processes train one run.

Each process sees only its share of a batch, so plain batch-norm would
normalise with that share's statistics and the model would depend on the
number of processes. On CUDA (nccl) torch's ``SyncBatchNorm`` computes them
over the whole batch. torch has no CPU version, so ``GlobalBatchNorm2d`` does
the same on gloo: the sums behind the mean and variance (and, backwards, the
gradient sums) are added up across processes. Parameters and buffers are the
very objects of the layer it replaces, so the optimizer, checkpoints and
exports see no difference.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _GlobalBatchNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, running_mean: torch.Tensor,
        running_var: torch.Tensor, eps: float, momentum: float,
    ) -> torch.Tensor:
        dims = [0, *range(2, x.dim())]
        channels = x.shape[1]
        sums = torch.cat([x.sum(dims), torch.tensor([x.numel() / channels], dtype=x.dtype)])
        torch.distributed.all_reduce(sums)
        count = sums[-1]
        mean = sums[:-1] / count
        shape = [1, channels] + [1] * (x.dim() - 2)
        centred = x - mean.view(shape)
        squares = (centred * centred).sum(dims)
        torch.distributed.all_reduce(squares)  # a second pass: centred sums keep float32 as exact as BatchNorm2d
        var = squares / count
        invstd = torch.rsqrt(var + eps)
        normalised = centred * invstd.view(shape)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            running_var.mul_(1 - momentum).add_(var * count / max(float(count) - 1, 1.0), alpha=momentum)
        ctx.save_for_backward(normalised, weight, invstd, count)
        return normalised * weight.view(shape) + bias.view(shape)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        normalised, weight, invstd, count = ctx.saved_tensors
        dims = [0, *range(2, grad.dim())]
        shape = [1, grad.shape[1]] + [1] * (grad.dim() - 2)
        grad_weight = (grad * normalised).sum(dims)
        grad_bias = grad.sum(dims)
        totals = torch.cat([grad_weight, grad_bias])
        torch.distributed.all_reduce(totals)
        sum_gn, sum_g = totals.view(2, -1)
        grad_input = (weight * invstd).view(shape) / count * (
            count * grad - sum_g.view(shape) - normalised * sum_gn.view(shape)
        )
        # The parameters' own gradients stay local: DistributedDataParallel averages them.
        return grad_input, grad_weight, grad_bias, None, None, None, None


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """``BatchNorm2d`` whose training statistics cover every process's share of the batch (gloo or nccl)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not torch.distributed.is_initialized():
            return super().forward(x)
        tracked = self.num_batches_tracked
        assert tracked is not None  # track_running_stats: only such layers are converted
        tracked.add_(1)
        momentum = self.momentum if self.momentum is not None else 1.0 / float(tracked)
        return _GlobalBatchNormFunction.apply(x, self.weight, self.bias, self.running_mean, self.running_var,
                                              self.eps, momentum)


def synchronise_batch_norm(model: nn.Module, device: torch.device) -> str:
    """Make every batch-norm layer of ``model`` use the global batch's statistics; in place.

    Returns how, for the run's record: "" when the model has no batch-norm,
    "SyncBatchNorm" on CUDA (nccl), "GlobalBatchNorm2d" elsewhere (gloo).
    """
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return ""
    if device.type == "cuda":
        # A model that is not itself a batch-norm layer is converted in place (its children replaced).
        nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return "SyncBatchNorm"
    for parent in model.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.BatchNorm2d and child.affine and child.track_running_stats:
                parent._modules[name] = _global_twin(child)
    return "GlobalBatchNorm2d"


def _global_twin(layer: nn.BatchNorm2d) -> GlobalBatchNorm2d:
    """A GlobalBatchNorm2d holding ``layer``'s own parameters and buffers (not copies)."""
    twin = GlobalBatchNorm2d(layer.num_features, layer.eps, layer.momentum)
    twin.weight, twin.bias = layer.weight, layer.bias
    twin.running_mean, twin.running_var = layer.running_mean, layer.running_var
    twin.num_batches_tracked = layer.num_batches_tracked
    twin.train(layer.training)
    return twin

