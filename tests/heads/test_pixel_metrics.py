"""Pixel AUROC, IoU and PRO of defect maps (anomalib's definitions), and the heat-map head reporting them."""

from __future__ import annotations

import math

import torch

from cnnstudio.core.evaluate.pixel_metrics import connected_regions, pixel_auroc, pixel_iou, pixel_metrics, pixel_pro


def masks_with_a_line_and_a_blob() -> torch.Tensor:
    masks = torch.zeros(2, 16, 16, dtype=torch.uint8)
    masks[0, 2, 1:9] = 1  # a 1 px scratch, 8 px long
    masks[0, 10:14, 10:14] = 1  # a 4 x 4 stain in the same image: another region
    masks[1, 5:7, 5:7] = 1
    return masks


def test_connected_regions_label_each_8_connected_region_once():
    masks = masks_with_a_line_and_a_blob()
    masks[1, 7, 7] = 1  # touches (6, 6) diagonally: the same region
    labels = connected_regions(masks)
    assert (labels > 0).sum() == masks.sum()
    assert len(labels[0].unique()) == 3 and len(labels[1].unique()) == 2
    assert len(set(labels[0].unique().tolist()) & set(labels[1].unique().tolist())) == 1  # only 0 is shared


def test_pro_averages_regions_so_a_missed_scratch_weighs_as_much_as_a_found_stain():
    masks = masks_with_a_line_and_a_blob()
    maps = torch.zeros(2, 16, 16)
    maps[0, 10:14, 10:14] = 0.9  # the stain found, the scratch missed
    maps[1, 5:7, 5] = 0.9  # half of the second image's region
    assert math.isclose(pixel_pro(maps, masks), (0.0 + 1.0 + 0.5) / 3)
    # IoU pools pixels: the large stain dominates.
    assert math.isclose(pixel_iou(maps, masks), (16 + 2) / int(masks.sum()))


def test_pixel_auroc_ranks_every_pixel_and_is_one_for_a_perfect_map():
    masks = masks_with_a_line_and_a_blob()
    assert pixel_auroc(masks.float(), masks) == 1.0
    assert pixel_auroc(1 - masks.float(), masks) == 0.0
    assert math.isnan(pixel_auroc(torch.rand(2, 16, 16), torch.zeros(2, 16, 16)))


def test_coarse_maps_are_upsampled_to_the_masks():
    masks = torch.zeros(1, 16, 16, dtype=torch.uint8)
    masks[0, 8:, 8:] = 1
    coarse = torch.tensor([[[0.0, 0.0], [0.0, 1.0]]])  # (1, 2, 2): one cell per 8 pixels
    result = pixel_metrics(coarse, masks)
    assert result["pixel_auroc"] > 0.95 and result["pixel_pro"] > 0.5 and result["pixel_iou"] > 0.5


def test_pixel_metrics_leave_out_what_cannot_be_computed():
    assert set(pixel_metrics(torch.rand(1, 8, 8), torch.zeros(1, 8, 8))) == {"pixel_iou"}


def test_evaluation_adds_pixel_auroc_and_pro_for_heads_that_draw_maps(tmp_path):
    from heads_helpers import squares, tiny_run_config

    from cnnstudio.bundled_plugins._heatmap_head import build_heatmap_head
    from cnnstudio.core.evaluate.evaluation import evaluate
    from cnnstudio.core.evaluate.prediction import load_trained_model
    from cnnstudio.core.specs import HeadSpec
    from cnnstudio.core.train.trainer import Trainer

    spec = HeadSpec("heatmap", "Heatmap", build_heatmap_head, ("defect",))
    data = squares(120, seed=5)
    finished = Trainer(tiny_run_config({}, epochs=3), data, spec, tmp_path / "run").fit()
    assert 0.5 < finished.metrics["val_pixel_auroc"] <= 1.0 and 0.0 <= finished.metrics["val_pixel_pro"] <= 1.0
    report = evaluate(load_trained_model(tmp_path / "run", head_spec=spec), data, split="val")
    assert report.head_metrics["pixel_auroc"] == finished.metrics["val_pixel_auroc"]
    assert "pixel_iou" in report.head_metrics and "pixel_pro" in report.head_metrics


def test_the_evaluate_tab_names_pixel_auroc_and_pro_beside_pixel_iou():
    from types import SimpleNamespace

    from cnnstudio.gui.tabs.evaluate.evaluation_view import summary_line

    report = SimpleNamespace(accuracy=0.9, loss=0.2, head_metrics={"auc": 0.95, "pixel_iou": 0.31, "pixel_auroc": 0.88,
                                                                    "pixel_pro": 0.42},
                             roc_auc=0.95, threshold=0.5, num_images=20, split="val")
    line = summary_line(report)
    assert "pixel IoU 0.310" in line and "pixel AUROC 0.880" in line and "pixel PRO 0.420" in line
