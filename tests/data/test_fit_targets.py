"""fit_mask and fit_boxes move a defect mask and boxes exactly as fit_image moves the pixels."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.core.data.image_io import RESIZE_POLICIES, fit_boxes, fit_image, fit_mask


@pytest.mark.parametrize("policy", RESIZE_POLICIES)
def test_mask_and_box_follow_the_painted_square(policy: str) -> None:
    image = torch.full((3, 60, 100), 120, dtype=torch.uint8)
    image[:, 20:44, 30:70] = torch.tensor([250, 0, 0], dtype=torch.uint8).view(3, 1, 1)
    mask = torch.zeros(60, 100, dtype=torch.uint8)
    mask[20:44, 30:70] = 1
    fitted = fit_image(image, 40, policy).int()
    red = (fitted[0] > 200) & (fitted[1] < 50)  # (40, 40) pixels that are wholly the square
    fitted_mask = fit_mask(mask, 40, policy)
    assert fitted_mask.shape == (40, 40) and fitted_mask.dtype == torch.uint8
    fitted_mask = fitted_mask.bool()
    assert red.any() and bool((fitted_mask | ~red).all())  # every red pixel is in the mask
    assert bool((fitted[0, fitted_mask] - fitted[1, fitted_mask] > 100).all())  # the mask is on red
    boxes, kept = fit_boxes(torch.tensor([[30.0, 20.0, 70.0, 44.0]]), 60, 100, 40, policy)
    assert kept.tolist() == [True] and boxes.dtype == torch.float32
    x0, y0, x1, y1 = boxes[0].tolist()
    rows, cols = torch.nonzero(red, as_tuple=True)
    assert x0 - 1 <= cols.min() and cols.max() + 1 <= x1 + 1 and y0 - 1 <= rows.min() and rows.max() + 1 <= y1 + 1
    assert (x1 - x0) * (y1 - y0) <= 1.3 * red.sum()  # tight: not much larger than the red area


def test_crop_clips_boxes_and_drops_those_cut_away() -> None:
    # A 100 x 50 picture cropped to its centre keeps columns 25..75.
    boxes, kept = fit_boxes(torch.tensor([[0.0, 0.0, 20.0, 10.0], [20.0, 5.0, 40.0, 15.0]]), 50, 100, 50, "crop")
    assert kept.tolist() == [False, True]
    assert boxes.tolist() == [[0.0, 5.0, 15.0, 15.0]]


def test_letterbox_offsets_boxes_and_keeps_bars_out_of_the_mask() -> None:
    # A 100 x 50 picture letterboxed to 50 is 25 high, centred: rows 12..37.
    boxes, _ = fit_boxes(torch.tensor([[0.0, 0.0, 100.0, 50.0]]), 50, 100, 50, "pad")
    assert boxes.tolist() == [[0.0, 12.0, 50.0, 37.0]]
    mask = fit_mask(torch.ones(50, 100, dtype=torch.uint8), 50, "pad")
    assert mask[:12].sum() == 0 and mask[37:].sum() == 0 and bool(mask[12:37].all())


def test_an_image_without_boxes_gives_no_boxes() -> None:
    boxes, kept = fit_boxes(torch.zeros(0, 4), 30, 70, 32, "pad")
    assert boxes.shape == (0, 4) and kept.shape == (0,)


def test_a_defect_smaller_than_one_output_pixel_survives() -> None:
    mask = torch.zeros(200, 200, dtype=torch.uint8)
    mask[101:103, 57:59] = 255  # 2x2 pixels, 1/8 of an output pixel at size 25
    fitted = fit_mask(mask, 25, "stretch")
    assert fitted.dtype == torch.uint8 and 1 <= int(fitted.sum()) <= 4 and int(fitted.max()) == 1
    assert bool(fitted[12:14, 7:8].any())
