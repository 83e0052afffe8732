"""Training batches (core/train/batches.py): every way in gives the same batch, and shares split it exactly."""

from __future__ import annotations

import torch
from trainer_helpers import squares_imageset

from cnnstudio.core.data.augment import BatchAugmenter
from cnnstudio.core.evaluate.evaluation import targets_of
from cnnstudio.core.train.batches import BatchSource
from cnnstudio.core.train.distributed import World


def source(world: World = World(), resident: bool = False) -> BatchSource:
    data = squares_imageset(count=40, size=12)
    made = BatchSource.for_run(data.images, targets_of(data), BatchAugmenter(flip=True, shift=True),
                               torch.device("cpu"), torch.channels_last, world)
    made.resident = resident  # the GPU path's gather, here on CPU tensors
    return made


def test_a_batch_is_floats_in_the_unit_range_in_the_asked_layout_with_its_labels():
    index = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    images, targets, share = source().batch(index, torch.Generator().manual_seed(0))
    assert images.shape == (8, 3, 12, 12) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(targets.labels, index % 2)
    assert (share.total, share.first, share.count) == (8, 0, 8)
    assert source().where == "cpu"


def test_the_resident_gather_gives_the_batch_the_host_gather_gives():
    index = torch.randperm(40, generator=torch.Generator().manual_seed(2))[:16]
    host, host_targets, _ = source().batch(index, torch.Generator().manual_seed(5))
    resident, resident_targets, _ = source(resident=True).batch(index, torch.Generator().manual_seed(5))
    assert torch.equal(host, resident) and torch.equal(host_targets.labels, resident_targets.labels)


def test_three_processes_shares_put_together_are_the_one_process_batch():
    index = torch.arange(0, 40, 3)  # 14 images: shares of 5, 5, 4
    whole, whole_targets, _ = source().batch(index, torch.Generator().manual_seed(7))
    parts = [source(World(rank, 3)).batch(index, torch.Generator().manual_seed(7)) for rank in range(3)]
    assert [p[2].count for p in parts] == [5, 5, 4]
    assert torch.equal(torch.cat([p[0] for p in parts]), whole)
    assert torch.equal(torch.cat([p[1].labels for p in parts]), whole_targets.labels)
