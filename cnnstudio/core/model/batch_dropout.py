"""Dropout whose random mask is drawn for the whole global batch, so it does not depend on how many processes train.

Under data-parallel training each process holds a share of every batch. Plain
``nn.Dropout`` would draw a mask for that share alone, so an image's mask, and
the trained model, would change with the number of processes. Here every
process draws the mask of the full batch (same seed, same draws) and keeps its
own rows. On one process the share is the whole batch.
"""

from __future__ import annotations

import torch
from torch import nn


class BatchDropout(nn.Dropout):
    """``nn.Dropout`` drawing its mask over the global batch; ``share`` = (batch size, first row of this process)."""

    share: tuple[int, int] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        total, first = self.share or (x.shape[0], 0)
        draws = torch.rand((total, *x.shape[1:]), device=x.device)[first : first + x.shape[0]]
        return x * (draws >= self.p).to(x.dtype) / (1 - self.p)


def set_batch_share(model: nn.Module, total: int, first: int) -> None:
    """Tell every BatchDropout in ``model`` that the next batch is rows ``first``.. of a global batch of ``total``."""
    for module in model.modules():
        if isinstance(module, BatchDropout):
            module.share = (total, first)
