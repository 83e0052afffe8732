"""fit_geometry maps boxes exactly where fit_image moves the pixels, for every resize policy."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.core.data.image_io import RESIZE_POLICIES, fit_geometry, fit_image


def painted(height: int, width: int, box: tuple[int, int, int, int]) -> torch.Tensor:
    image = torch.zeros(3, height, width, dtype=torch.uint8)
    x0, y0, x1, y1 = box
    image[:, y0:y1, x0:x1] = 255
    return image


def bright_extent(image: torch.Tensor) -> torch.Tensor:
    """x0, y0, x1, y1 of the pixels brighter than half."""
    ys, xs = torch.nonzero(image[0] > 127, as_tuple=True)
    return torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)


@pytest.mark.parametrize("policy", RESIZE_POLICIES)
@pytest.mark.parametrize("shape", [(90, 150), (151, 97), (64, 64)])
def test_a_box_lands_where_its_pixels_land(policy: str, shape: tuple[int, int]) -> None:
    height, width = shape
    box = (width // 3, height // 3, width // 3 + 24, height // 3 + 20)
    fitted = fit_image(painted(height, width, box), 48, policy)
    mapped = fit_geometry(height, width, 48, policy).to_fitted(torch.tensor([box], dtype=torch.float32))[0]
    assert torch.allclose(mapped, bright_extent(fitted), atol=1.5)


@pytest.mark.parametrize("policy", RESIZE_POLICIES)
def test_to_original_undoes_to_fitted(policy: str) -> None:
    geometry = fit_geometry(120, 200, 64, policy)
    boxes = torch.tensor([[10.0, 20.0, 110.0, 90.0], [0.0, 0.0, 200.0, 120.0]])
    assert torch.allclose(geometry.to_original(geometry.to_fitted(boxes)), boxes, atol=1e-4)


def test_unknown_policy_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="resize policy"):
        fit_geometry(10, 20, 8, "zoom")
