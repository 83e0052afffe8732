"""ImageSet: the in-memory dataset every plugin produces and the trainer consumes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from cnnstudio.core.data.disk_images import take_rows
from cnnstudio.core.errors import DatasetError

# ImageSet.split_roles values: where the split may put an image.
ANY_SPLIT = 0
TRAIN_ONLY = 1  # e.g. a synthetic defect: trained on, never scored
EVAL_ONLY = 2  # e.g. a real defect kept for evaluation: validation or test, never trained on
SPLIT_ROLES = (ANY_SPLIT, TRAIN_ONLY, EVAL_ONLY)


@dataclass
class SkippedFile:
    """A file an import could not use, and why (shown to the user)."""

    path: str
    reason: str


@dataclass
class ImageSet:
    """Images with labels and optional masks and boxes, in memory (the images may be mapped from disk).

    images:  (N, 3, H, W) uint8
    labels:  (N,) int64, indices into ``class_names``
    masks:   (N, H, W) uint8, 1 where the defect/tampering is, or None
    boxes:   one (K_i, 4) float32 tensor of x0, y0, x1, y1 pixel boxes per
             image (K_i may be 0), or None
    sources: where each image came from (a file path, or "retail.products#17")
    skipped: files an import could not read, with the reason
    split_roles: (N,) int64 of ANY_SPLIT, TRAIN_ONLY or EVAL_ONLY per image,
             or None (every image may go to any split)
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]
    masks: torch.Tensor | None = None
    boxes: list[torch.Tensor] | None = None
    sources: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    name: str = ""
    split_roles: torch.Tensor | None = None

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise DatasetError(
                f"{self.name or 'ImageSet'}: images must be a (N, 3, H, W) uint8 tensor, "
                f"got {tuple(images.shape)} {images.dtype}"
            )
        n = images.shape[0]
        self.labels = labels = labels.to(torch.int64)
        if labels.shape != (n,):
            raise DatasetError(f"{self.name}: expected {n} labels, got shape {tuple(labels.shape)}")
        if n and (labels.min() < 0 or labels.max() >= len(self.class_names)):
            raise DatasetError(f"{self.name}: labels must be in 0..{len(self.class_names) - 1}")
        if self.masks is not None and tuple(self.masks.shape) != (n, *images.shape[2:]):
            raise DatasetError(
                f"{self.name}: masks must be (N, H, W) = {(n, *images.shape[2:])}, "
                f"got {tuple(self.masks.shape)}"
            )
        if self.boxes is not None and len(self.boxes) != n:
            raise DatasetError(f"{self.name}: expected {n} box lists, got {len(self.boxes)}")
        if self.split_roles is not None:
            self.split_roles = roles = torch.as_tensor(self.split_roles, dtype=torch.int64)
            if roles.shape != (n,):
                raise DatasetError(f"{self.name}: expected {n} split roles, got shape {tuple(roles.shape)}")
            if n and not bool(torch.isin(roles, torch.tensor(SPLIT_ROLES)).all()):
                raise DatasetError(f"{self.name}: split roles must be {ANY_SPLIT}, {TRAIN_ONLY} or {EVAL_ONLY}")
        if not self.sources:
            self.sources = [f"{self.name}#{i}" for i in range(n)]
        elif len(self.sources) != n:
            raise DatasetError(f"{self.name}: expected {n} sources, got {len(self.sources)}")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.images.shape[2]), int(self.images.shape[3])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> list[int]:
        return torch.bincount(self.labels, minlength=self.num_classes).tolist()

    def subset(self, indices: Sequence[int] | torch.Tensor) -> ImageSet:
        """The images at ``indices``, in that order (skipped files are kept).

        Disk-backed images (``disk_images``) stay on disk: a view for a run of
        consecutive rows, else a new image file written in chunks.
        """
        index = torch.as_tensor(indices, dtype=torch.int64)
        return ImageSet(
            images=take_rows(self.images, index),
            labels=self.labels[index],
            class_names=list(self.class_names),
            masks=None if self.masks is None else self.masks[index],
            boxes=None if self.boxes is None else [self.boxes[i] for i in index.tolist()],
            sources=[self.sources[i] for i in index.tolist()],
            skipped=list(self.skipped),
            name=self.name,
            split_roles=None if self.split_roles is None else self.split_roles[index],
        )
