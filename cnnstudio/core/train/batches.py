"""Each training batch, on the device the model trains on: this process's rows, augmented, as floats in [0, 1].

Three ways in, picked once per run by ``BatchSource.for_run``:

- **CPU**: gather the rows, convert, augment, hand over (the tensors already
  live where the model does).
- **Resident on a GPU**: the training images (uint8) and labels were copied to
  the GPU once, when they fit; each batch is gathered, converted and augmented
  there, with no copy from the host and no wait for it.
- **Streamed to a GPU**: the uint8 rows are gathered on the host into pinned
  memory and copied without blocking (a quarter of the bytes of floats), then
  converted and augmented on the GPU.

Under data-parallel training (``World``) every process builds only its share
of the global batch; augmentation draws for the whole batch and slices, so an
image is augmented the same whichever process holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cnnstudio.core.data.augment import BatchAugmenter
from cnnstudio.core.data.sampling import select_targets
from cnnstudio.core.model.heads import Targets
from cnnstudio.core.train.distributed import BatchShare, World

RESIDENT_SHARE = 0.4  # training images move onto a GPU when they take at most this share of its free memory


@dataclass
class BatchSource:
    """Builds the batches of one run's training split."""

    images: torch.Tensor  # (N, 3, H, W) uint8, on the host or resident on the device
    targets: Targets
    augmenter: BatchAugmenter
    device: torch.device
    memory_format: torch.memory_format
    world: World
    resident: bool = False

    @classmethod
    def for_run(
        cls, images: torch.Tensor, targets: Targets, augmenter: BatchAugmenter, device: torch.device,
        memory_format: torch.memory_format, world: World,
    ) -> BatchSource:
        """The source for ``device``: resident on a GPU when the images fit (and the head has no boxes)."""
        source = cls(images, targets, augmenter, device, memory_format, world)
        if device.type == "cuda" and targets.boxes is None and _fits_on_gpu(images, targets, device):
            source.images = images.to(device)
            source.targets = targets.to(device)
            source.resident = True
        return source

    @property
    def where(self) -> str:
        """How batches reach the model, for the run's record."""
        if self.device.type == "cpu":
            return "cpu"
        return "resident" if self.resident else "streamed"

    def batch(self, index: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, Targets, BatchShare]:
        """This process's share of the global batch ``index`` (host int64 rows of the training split)."""
        share = self.world.share_of(len(index))
        rows = index[share.rows]
        if self.resident:
            rows = rows.to(self.device, non_blocking=True)
            images = self.images[rows].float().div_(255)
            targets = select_targets(self.targets, rows)
        elif self.device.type == "cpu":
            images = self.images[rows].float().div_(255)
            targets = select_targets(self.targets, rows)
        else:
            pinned = self.images[rows].pin_memory() if self.device.type == "cuda" else self.images[rows]
            images = pinned.to(self.device, non_blocking=True).float().div_(255)
            targets = select_targets(self.targets, rows).to(self.device)
        if self.augmenter.enabled:
            images, targets.masks, targets.boxes = self.augmenter(
                images, targets.masks, targets.boxes, generator, share=(share.total, share.first),
            )
        images = images.contiguous(memory_format=self.memory_format)
        return images, targets.to(self.device), share


def _fits_on_gpu(images: torch.Tensor, targets: Targets, device: torch.device) -> bool:
    needed = images.numel() * images.element_size()
    if targets.masks is not None:
        needed += targets.masks.numel() * targets.masks.element_size()
    try:
        free = torch.cuda.mem_get_info(device)[0]
    except Exception:  # noqa: BLE001 - no figure: stream the batches, which always works
        return False
    return needed <= free * RESIDENT_SHARE
