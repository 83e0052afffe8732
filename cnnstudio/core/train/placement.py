"""Where and how the model trains: mixed precision, and the wrapper that makes several processes train one model."""

from __future__ import annotations

from typing import Any

import torch

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.train.distributed import World
from cnnstudio.core.train.sync_batchnorm import synchronise_batch_norm

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``training.precision`` on ``device``; None for fp32. fp16 needs CUDA."""
    if precision == "fp32":
        return None
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError(f'training.precision = "fp16" needs a CUDA GPU (this run trains on {device.type}); '
                          f'use "bf16" or "fp32"')
    return _DTYPES[precision]


def gradient_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """Loss scaling for fp16 (its small range underflows gradients); disabled, a pass-through, otherwise."""
    return torch.amp.GradScaler(device.type if device.type == "cuda" else "cpu", enabled=precision == "fp16")


def train_wrapper(model: torch.nn.Module, device: torch.device, world: World) -> tuple[torch.nn.Module, str]:
    """What the loop calls: ``model`` itself on one process; under torchrun, its batch-norm layers synchronised
    and the model wrapped in DistributedDataParallel. Also names the batch-norm synchronisation ("" if none).

    Call after the model is on ``device`` and before the first step. Buffers are not broadcast at every
    forward (the synchronised batch-norm keeps them equal); the trainer shares rank 0's after each epoch.
    """
    if not world.distributed:
        return model, ""
    synchronised = synchronise_batch_norm(model, device)
    import inspect

    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    # Buffers are equal at the start (DDP copies rank 0's) and kept equal by the synchronised batch-norm;
    # torch renamed the switch that stops the copy before every forward.
    newer = "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
    no_sync: dict[str, Any] = {"forward_sync_buffers": False} if newer else {"broadcast_buffers": False}
    return DistributedDataParallel(model, device_ids=device_ids, **no_sync), synchronised
