"""Data-parallel training under ``torchrun``: which process this is, and the few collectives the trainer needs.

torchrun starts N copies of ``cnnstudio train`` and tells each its place through
environment variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``). ``World``
reads them, joins the process group (gloo for CPU tensors, nccl for CUDA ones) and offers
what the trainer uses: agree on a stop, sum metrics, share rank 0's objects and
buffers, and cut each global batch into this process's share.

One rule holds it together: the same config gives the same model on 1 process
or N. ``training.batch_size`` is the global batch; every process draws the same
seeded epoch order and takes its contiguous share of each batch; random draws
(augmentation, dropout) are made for the whole global batch and sliced, so an
image gets the same flip and dropout mask whichever process trains it.
Started without torchrun, ``World()`` is the single process and every method
is a no-op.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch

from cnnstudio.core.errors import ConfigError

# Every process must reach each collective within this: the others wait at a barrier while rank 0 decodes
# a new folder into the cache first, which takes minutes for a few hundred thousand photos.
JOIN_TIMEOUT = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class BatchShare:
    """This process's rows of one global batch: ``rows`` of a batch of ``total`` images."""

    total: int
    first: int
    count: int

    @property
    def rows(self) -> slice:
        return slice(self.first, self.first + self.count)


@dataclass(frozen=True)
class World:
    """The processes training one run together; ``World()`` is a single process."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes the run folder and reports progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    # ---- collectives (no-ops on one process) ----------------------------------
    def barrier(self) -> None:
        if self.distributed:
            torch.distributed.barrier()

    def any_true(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any process (a stop asked for on one stops all, between the same batches)."""
        if not self.distributed:
            return flag
        value = torch.tensor([1.0 if flag else 0.0])
        torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX)
        return bool(value.item() > 0)

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` (on the CPU) summed over every process (in place, and returned)."""
        if self.distributed:
            torch.distributed.all_reduce(tensor)
        return tensor

    def share_object(self, value: Any) -> Any:
        """Rank 0's ``value``, on every process (a run folder name, a resumed checkpoint)."""
        if not self.distributed:
            return value
        box = [value if self.is_main else None]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def share_buffers(self, module: torch.nn.Module) -> None:
        """Copy rank 0's buffers (batch-norm running statistics) to every process, so all evaluate alike."""
        if self.distributed:
            for buffer in module.buffers():
                torch.distributed.broadcast(buffer.data, src=0)

    def share_of(self, total: int) -> BatchShare:
        """This process's contiguous rows of a global batch of ``total`` images (sizes differ by one at most)."""
        base, extra = divmod(total, self.size)
        first = self.rank * base + min(self.rank, extra)
        return BatchShare(total, first, base + (1 if self.rank < extra else 0))

    def close(self) -> None:
        """Leave the process group (the end of a distributed run)."""
        if self.distributed and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher using its variables) started this process."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def world_from_environment() -> World:
    """This process's place as torchrun describes it, without joining anything (``World()`` outside torchrun)."""
    if not launched_by_torchrun():
        return World()
    try:
        size, rank = int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError as error:
        raise ConfigError(f"torchrun's WORLD_SIZE, RANK or LOCAL_RANK is not a whole number: {error}") from None
    if size < 1 or not 0 <= rank < size:
        raise ConfigError(f"torchrun gave RANK {rank} of WORLD_SIZE {size}: the rank must be in 0..WORLD_SIZE-1")
    return World(rank, size, local_rank)


def join_world() -> World:
    """Join torchrun's process group; idempotent. Outside torchrun, or with one process, nothing is joined.

    CPU tensors travel over gloo; on a CUDA machine, CUDA tensors (gradients, synchronised batch-norm)
    over nccl, and each process is given its own GPU (``LOCAL_RANK``). The small exchanges of the
    trainer (a stop, metric sums, objects) use CPU tensors, so they work whichever device trains.
    """
    world = world_from_environment()
    if not world.distributed:
        return world
    backend = "gloo"
    if torch.cuda.is_available():
        backend = "cpu:gloo,cuda:nccl"
        torch.cuda.set_device(world.local_rank % torch.cuda.device_count())
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend, timeout=JOIN_TIMEOUT)
    return World(world.rank, world.size, world.local_rank, str(torch.distributed.get_backend()))


def process_device(device: torch.device, world: World) -> torch.device:
    """The device this process trains on: its own GPU (``LOCAL_RANK``) when several share a CUDA machine."""
    if device.type == "cuda" and world.distributed:
        return torch.device("cuda", world.local_rank % torch.cuda.device_count())
    return device
