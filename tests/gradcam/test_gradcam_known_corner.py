"""Grad-CAM points at the corner where a trained model's class evidence is."""

from __future__ import annotations

import pytest
import torch
from gradcam_helpers import SIZE, corner_images, train_corner_model

from cnnstudio.core.evaluate.gradcam import grad_cam


@pytest.fixture(scope="module")
def corner_model():
    return train_corner_model()


def quadrant_masses(cams: torch.Tensor) -> torch.Tensor:
    """(N, 4) map mass in the top-left, top-right, bottom-left and bottom-right quadrants."""
    half = SIZE // 2
    return torch.stack(
        [cams[:, :half, :half].sum((1, 2)), cams[:, :half, half:].sum((1, 2)),
         cams[:, half:, :half].sum((1, 2)), cams[:, half:, half:].sum((1, 2))], dim=1,
    )


def test_corner_model_learns_the_task(corner_model):
    images, labels = corner_images(100, seed=7)
    with torch.no_grad():
        accuracy = (corner_model(images).argmax(1) == labels).float().mean()
    assert accuracy > 0.9


@pytest.mark.parametrize("layer", ["conv2", "act3"])
def test_gradcam_mass_is_in_the_top_left_quadrant_for_class_1_images(corner_model, layer):
    images, labels = corner_images(100, seed=7)
    cams = grad_cam(corner_model, images[labels == 1], layer, target=1)
    masses = quadrant_masses(cams)
    top_left_wins = (masses[:, 0:1] > masses[:, 1:]).all(dim=1).float().mean()
    assert top_left_wins >= 0.9


def test_gradcam_peak_is_on_the_blob(corner_model):
    images, labels = corner_images(60, seed=9)
    class_1 = images[labels == 1]
    cams = grad_cam(corner_model, class_1, "conv3")  # default target: the predicted class (1 here)
    peaks = cams.flatten(1).argmax(dim=1)
    peak_y, peak_x = peaks // SIZE, peaks % SIZE
    blob = (class_1 == 1.0).all(dim=1).float()  # (N, H, W) the 5x5 blob pixels
    ys, xs = torch.arange(SIZE).float(), torch.arange(SIZE).float()
    centre_y = (blob.sum(2) * ys).sum(1) / blob.sum((1, 2))
    centre_x = (blob.sum(1) * xs).sum(1) / blob.sum((1, 2))
    distance = ((peak_y - centre_y) ** 2 + (peak_x - centre_x) ** 2).sqrt()
    assert (distance <= 6).float().mean() >= 0.8
