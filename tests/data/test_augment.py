"""Per-image batch augmentation: flips and shifts that move masks and boxes along."""

from __future__ import annotations

import torch

from cnnstudio.core.data.augment import BatchAugmenter


def _marked_batch(n: int = 32, size: int = 16):
    """Identical images with one bright pixel, its mask pixel and a 1-pixel box around it."""
    images = torch.zeros(n, 3, size, size)
    images[:, :, 5, 3] = 1.0
    masks = torch.zeros(n, size, size)
    masks[:, 5, 3] = 1.0
    boxes = [torch.tensor([[3.0, 5.0, 4.0, 6.0]]) for _ in range(n)]
    return images, masks, boxes


def test_flip_decides_per_image_within_one_batch():
    images, _, _ = _marked_batch()
    out, _, _ = BatchAugmenter(flip=True, shift=False)(images, None, None, torch.Generator().manual_seed(0))
    flipped = out[:, 0, 5, 16 - 1 - 3] == 1.0
    kept = out[:, 0, 5, 3] == 1.0
    assert torch.all(flipped ^ kept)
    assert 0 < int(flipped.sum()) < len(images)


def test_shift_decides_per_image_within_one_batch():
    images = torch.zeros(32, 3, 16, 16)
    images[:, :, 8, 8] = 1.0  # central, so every shift keeps it inside
    out, _, _ = BatchAugmenter(flip=False, shift=True, max_shift_fraction=0.25)(
        images, None, None, torch.Generator().manual_seed(0)
    )
    positions = {tuple((out[i, 0] == 1.0).nonzero()[0].tolist()) for i in range(len(out))}
    assert len(positions) > 3


def test_same_generator_seed_gives_the_same_augmentation():
    images = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    augment = BatchAugmenter(flip=True, shift=True)
    first, _, _ = augment(images, None, None, torch.Generator().manual_seed(5))
    again, _, _ = augment(images, None, None, torch.Generator().manual_seed(5))
    other, _, _ = augment(images, None, None, torch.Generator().manual_seed(6))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_masks_and_boxes_stay_aligned_with_their_images():
    images, masks, boxes = _marked_batch(n=64)
    out, out_masks, out_boxes = BatchAugmenter(flip=True, shift=True, max_shift_fraction=0.125)(
        images, masks, boxes, torch.Generator().manual_seed(2)
    )
    for i in range(len(out)):
        pixel = (out[i, 0] == 1.0).nonzero().tolist()
        assert pixel == (out_masks[i] == 1.0).nonzero().tolist()
        (y, x), = pixel
        assert out_boxes[i].tolist() == [[float(x), float(y), float(x + 1), float(y + 1)]]
    assert float(out_masks.sum()) == len(out)


def test_shifted_masks_are_padded_with_zeros_and_boxes_clipped():
    images = torch.zeros(16, 3, 8, 8)
    masks = torch.ones(16, 8, 8)
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 8.0]]) for _ in range(16)]
    out, out_masks, out_boxes = BatchAugmenter(flip=False, shift=True, max_shift_fraction=0.25)(
        images, masks, boxes, torch.Generator().manual_seed(0)
    )
    assert float(out_masks.sum()) < 16 * 64  # some rows or columns came from outside
    for i in range(16):
        x0, y0, x1, y1 = out_boxes[i][0].tolist()
        assert 0 <= x0 <= x1 <= 8 and 0 <= y0 <= y1 <= 8
        assert (x1 - x0) * (y1 - y0) == float(out_masks[i].sum())


def test_images_without_boxes_keep_empty_box_lists():
    images, _, _ = _marked_batch(n=4)
    boxes = [torch.zeros(0, 4) for _ in range(4)]
    _, _, out_boxes = BatchAugmenter(flip=True, shift=True)(images, None, boxes, torch.Generator().manual_seed(0))
    assert [tuple(b.shape) for b in out_boxes] == [(0, 4)] * 4


def test_augmentation_off_returns_the_inputs_unchanged():
    images, masks, boxes = _marked_batch(n=4)
    out, out_masks, out_boxes = BatchAugmenter(flip=False, shift=False)(
        images, masks, boxes, torch.Generator().manual_seed(0)
    )
    assert out is images and out_masks is masks and out_boxes is boxes
