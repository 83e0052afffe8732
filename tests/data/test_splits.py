"""Stratified splits, channel statistics and batch resizing."""

from __future__ import annotations

import torch

from cnnstudio.core.data.splits import channel_stats, resize_images, stratified_split


def _labels(counts: list[int]) -> torch.Tensor:
    return torch.cat([torch.full((n,), c, dtype=torch.int64) for c, n in enumerate(counts)])


def test_split_is_disjoint_sorted_and_covers_every_index():
    labels = _labels([50, 30, 7])
    train, val, test = stratified_split(labels, 0.2, 0.1, seed=3)
    everything = torch.cat([train, val, test])
    assert sorted(everything.tolist()) == list(range(len(labels)))
    for part in (train, val, test):
        assert part.dtype == torch.int64
        assert torch.equal(part, torch.sort(part).values)


def test_split_keeps_class_proportions_in_each_part():
    labels = _labels([100, 40])
    train, val, test = stratified_split(labels, 0.2, 0.1, seed=0)
    assert torch.bincount(labels[val], minlength=2).tolist() == [20, 8]
    assert torch.bincount(labels[test], minlength=2).tolist() == [10, 4]
    assert torch.bincount(labels[train], minlength=2).tolist() == [70, 28]


def test_split_is_deterministic_for_a_seed_and_changes_with_it():
    labels = _labels([30, 30])
    first = stratified_split(labels, 0.25, 0.1, seed=7)
    again = stratified_split(labels, 0.25, 0.1, seed=7)
    other = stratified_split(labels, 0.25, 0.1, seed=8)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[1], other[1])


def test_small_classes_get_a_validation_image_and_keep_a_training_image():
    labels = _labels([2, 3, 1, 40])
    train, val, test = stratified_split(labels, 0.1, 0.1, seed=0)
    val_counts = torch.bincount(labels[val], minlength=4).tolist()
    train_counts = torch.bincount(labels[train], minlength=4).tolist()
    assert val_counts[0] == 1 and val_counts[1] == 1 and val_counts[3] == 4
    assert val_counts[2] == 0  # a single image can only train
    assert all(count >= 1 for count in train_counts)


def test_zero_test_fraction_gives_an_empty_test_split():
    train, val, test = stratified_split(_labels([10, 10]), 0.2, 0.0, seed=1)
    assert test.numel() == 0 and test.dtype == torch.int64
    assert len(train) + len(val) == 20


def test_channel_stats_match_a_float_reference():
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (300, 3, 9, 7), dtype=torch.uint8, generator=generator)
    images[:, 2] //= 4  # a darker channel
    mean, std = channel_stats(images)
    reference = images.to(torch.float64) / 255
    assert mean.dtype == torch.float32 and mean.shape == (3,)
    torch.testing.assert_close(mean, reference.mean(dim=(0, 2, 3)).float(), atol=1e-6, rtol=0)
    torch.testing.assert_close(std, reference.std(dim=(0, 2, 3), unbiased=False).float(), atol=1e-6, rtol=0)


def test_channel_stats_clamp_the_std_of_a_constant_channel():
    images = torch.full((4, 3, 5, 5), 128, dtype=torch.uint8)
    _, std = channel_stats(images)
    assert torch.all(std >= 1e-3)


def test_resize_images_resizes_masks_with_nearest_and_scales_boxes():
    images = torch.zeros(2, 3, 8, 16, dtype=torch.uint8)
    masks = torch.zeros(2, 8, 16, dtype=torch.uint8)
    masks[:, :4, :8] = 1
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 4.0]]), torch.zeros(0, 4)]
    resized, resized_masks, resized_boxes = resize_images(images, 32, masks, boxes)
    assert resized.shape == (2, 3, 32, 32) and resized.dtype == torch.uint8
    assert set(resized_masks.unique().tolist()) == {0, 1}
    assert int(resized_masks[0].sum()) == 16 * 16
    assert resized_boxes[0].tolist() == [[0.0, 0.0, 16.0, 16.0]]
    assert resized_boxes[1].shape == (0, 4)


def test_resize_images_returns_the_same_tensors_when_already_sized():
    images = torch.zeros(1, 3, 16, 16, dtype=torch.uint8)
    masks = torch.zeros(1, 16, 16, dtype=torch.uint8)
    out, out_masks, out_boxes = resize_images(images, 16, masks, None)
    assert out is images and out_masks is masks and out_boxes is None
