"""Events pickle across the process boundary; ImageSet rejects malformed data in words."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from cnnstudio.core import events
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.errors import DatasetError


def test_every_event_pickles_with_arrays():
    snapshot = events.Snapshot(
        epoch=1,
        filters={"conv1": np.ones((8, 3, 3, 3), np.float32)},
        feature_maps={"conv1": np.zeros((2, 8, 4, 4), np.float32)},
        images=np.zeros((2, 3, 4, 4), np.uint8),
    )
    restored = pickle.loads(pickle.dumps(snapshot))
    assert restored.filters["conv1"].shape == (8, 3, 3, 3)
    epoch = events.EpochEnded(1, 3, {"loss": 0.5, "val_accuracy": 0.9}, 0.001, 100.0, 3.0, 1.0, True)
    assert pickle.loads(pickle.dumps(epoch)) == epoch


def test_imageset_subset_keeps_everything_aligned():
    images = torch.arange(4, dtype=torch.uint8).reshape(4, 1, 1, 1).expand(4, 3, 2, 2).contiguous()
    masks = torch.arange(4, dtype=torch.uint8).reshape(4, 1, 1).expand(4, 2, 2).contiguous()
    boxes = [torch.tensor([[float(i), 0, 1, 1]]) for i in range(4)]
    imageset = ImageSet(images, torch.tensor([0, 1, 0, 1]), ["a", "b"], masks=masks, boxes=boxes, name="t")
    part = imageset.subset([3, 1])
    assert part.images[:, 0, 0, 0].tolist() == [3, 1]
    assert part.masks[:, 0, 0].tolist() == [3, 1]
    assert [b[0, 0].item() for b in part.boxes] == [3.0, 1.0]
    assert part.sources == ["t#3", "t#1"] and part.labels.tolist() == [1, 1]
    assert imageset.class_counts() == [2, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": torch.zeros(2, 3, 4, 4)}, "uint8"),
        ({"labels": torch.tensor([0, 2])}, "labels must be in 0..1"),
        ({"labels": torch.tensor([0])}, "expected 2 labels"),
        ({"masks": torch.zeros(2, 5, 5, dtype=torch.uint8)}, "masks must be (N, H, W)"),
    ],
)
def test_imageset_rejects_malformed_data(kwargs, message):
    arguments = {"images": torch.zeros(2, 3, 4, 4, dtype=torch.uint8), "labels": torch.tensor([0, 1]), "class_names": ["a", "b"]}
    arguments.update(kwargs)
    with pytest.raises(DatasetError) as error:
        ImageSet(**arguments)
    assert message in str(error.value)
