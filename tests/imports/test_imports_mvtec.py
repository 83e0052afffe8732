"""MVTec-AD category folders: recognised, loaded with aligned masks, broken files reported."""

from __future__ import annotations

import pytest
import torch
from imports_helpers import MVTEC_DEFECTS, RED, defect_image, make_mvtec, save, text_named_png, truncated_png

from cnnstudio.host.manager import get_plugin_manager


def open_spec(root):
    return get_plugin_manager().open_folder(root)


def load(root, **options):
    spec = open_spec(root)
    return spec.load(spec.resolve_options(options))


def test_mvtec_folder_opens_as_a_defect_dataset_with_the_heatmap_head(tmp_path):
    root = make_mvtec(tmp_path / "bottle")
    spec = open_spec(root)
    assert spec.id == f"folder:{root}" and spec.title == "bottle"
    assert spec.task == "defect" and spec.default_head == "defect_map"
    assert spec.class_names == ("good", "defect")
    assert spec.resolve_options() == {"size": "auto", "resize": "pad", "defect_types": False, "defects": "auto"}
    assert "train/good/" in spec.description and "crack, scratch" in spec.description


def test_mvtec_loads_every_train_and_test_image_with_its_label_and_source(tmp_path):
    root = make_mvtec(tmp_path / "bottle")
    data = load(root, size=32)
    assert data.images.shape == (12, 3, 32, 32) and data.images.dtype == torch.uint8
    assert data.class_names == ["good", "defect"]
    assert data.labels.tolist() == [0] * 7 + [1] * 5
    assert data.sources[0] == str(root / "train" / "good" / "000.png")
    assert data.sources[7] == str(root / "test" / "crack" / "000.png")
    assert data.masks.shape == (12, 32, 32) and data.masks.dtype == torch.uint8
    assert data.masks[:7].sum() == 0 and all(m.sum() > 0 for m in data.masks[7:])
    assert set(data.masks.unique().tolist()) == {0, 1} and data.skipped == []


def test_mvtec_defect_types_option_gives_one_class_per_defect_folder(tmp_path):
    data = load(make_mvtec(tmp_path / "bottle"), size=32, defect_types=True)
    assert data.class_names == ["good", "crack", "scratch"]
    assert data.labels.tolist() == [0] * 7 + [1, 1, 2, 2, 2]


@pytest.mark.parametrize("policy", ["pad", "crop", "stretch"])
def test_mvtec_masks_cover_the_painted_defect_after_fitting(tmp_path, policy):
    data = load(make_mvtec(tmp_path / "bottle"), size=40, resize=policy)
    for index in range(7, 12):
        image, mask = data.images[index].int(), data.masks[index].bool()
        painted = (image[0] > 190) & (image[1] < 60) | (image[2] > 190) & (image[0] < 60)  # wholly red or blue
        assert painted.any(), data.sources[index]
        assert bool((mask | ~painted).all()), f"{data.sources[index]}: painted pixels outside the mask"
        colourful = (image.amax(0) - image.amin(0)) > 60  # at least partly painted (grey varies by < 40)
        assert bool(colourful[mask].all()), f"{data.sources[index]}: mask off the defect"


def test_mvtec_reports_broken_files_and_keeps_the_rest(tmp_path):
    root = make_mvtec(tmp_path / "bottle")
    truncated_png(root / "train" / "good" / "900.png")
    text_named_png(root / "test" / "scratch" / "901.png")
    defect_image(root / "test" / "scratch" / "902.png", 60, 40, (5, 5, 20, 20), RED, seed=9,
                 mask_path=root / "ground_truth" / "scratch" / "902_mask.png", mask_size=(30, 20))
    defect_image(root / "test" / "crack" / "903.png", 60, 40, (5, 5, 20, 20), RED, seed=10)
    text_named_png(root / "ground_truth" / "crack" / "903_mask.png")
    save(root / "ground_truth" / "crack" / "904_mask.png", torch.zeros(40, 60, dtype=torch.uint8).numpy())

    data = load(root, size=32)
    reasons = {item.path: item.reason for item in data.skipped}
    assert "truncated" in reasons[str(root / "train" / "good" / "900.png")]
    assert "not a readable image" in reasons[str(root / "test" / "scratch" / "901.png")]
    assert "mask is 30x20 pixels but its image 902.png is 60x40" in reasons[str(root / "ground_truth" / "scratch" / "902_mask.png")]
    assert "not a readable image" in reasons[str(root / "ground_truth" / "crack" / "903_mask.png")]
    assert "mask without an image (no test/crack/904.* found)" in reasons[str(root / "ground_truth" / "crack" / "904_mask.png")]
    assert len(data.skipped) == 5
    # The images of the two bad masks are kept as defects, with empty masks.
    for name in ("scratch/902.png", "crack/903.png"):
        index = data.sources.index(str(root / "test" / name))
        assert data.labels[index] == 1 and data.masks[index].sum() == 0
    assert len(data) == 14 and str(root / "train" / "good" / "900.png") not in data.sources


def test_mvtec_defect_image_without_a_mask_is_kept_as_a_defect_with_an_empty_mask(tmp_path):
    root = make_mvtec(tmp_path / "bottle")
    defect_image(root / "test" / "scratch" / "950.png", 50, 50, (5, 5, 25, 25), RED, seed=3)
    data = load(root, size=32)
    index = data.sources.index(str(root / "test" / "scratch" / "950.png"))
    assert data.labels[index] == 1 and data.masks[index].sum() == 0 and data.skipped == []


def test_mvtec_without_ground_truth_loads_without_masks(tmp_path):
    data = load(make_mvtec(tmp_path / "bottle", ground_truth=False), size=32)
    assert data.masks is None and data.labels.tolist() == [0] * 7 + [1] * 5


def test_mvtec_without_readable_defect_images_learns_from_synthetic_defects(tmp_path):
    # Issue 13: good parts alone are the MVTec-AD protocol, no longer refused.
    root = tmp_path / "screw"
    save(root / "train" / "good" / "000.png", torch.full((40, 40, 3), 100, dtype=torch.uint8).numpy())
    text_named_png(root / "test" / "broken" / "000.png")
    data = load(root, size=32)
    assert data.class_names == ["good", "defect"] and data.labels.tolist() == [0, 1]
    assert data.sources[1] == f"{root / 'train' / 'good' / '000.png'}#synthetic"
    assert any(item.path == str(root / "test" / "broken" / "000.png") for item in data.skipped)


def test_mvtec_mask_file_names_match_their_images_in_the_defect_folder(tmp_path):
    root = make_mvtec(tmp_path / "bottle")
    data = load(root, size=64, resize="stretch")
    kind, name, width, height, (x0, y0, x1, y1) = MVTEC_DEFECTS[0]
    index = data.sources.index(str(root / "test" / kind / f"{name}.png"))
    rows, cols = torch.nonzero(data.masks[index], as_tuple=True)
    # stretch maps x by 64/width and y by 64/height
    assert abs(cols.min() - x0 * 64 / width) <= 1 and abs(cols.max() + 1 - x1 * 64 / width) <= 1
    assert abs(rows.min() - y0 * 64 / height) <= 1 and abs(rows.max() + 1 - y1 * 64 / height) <= 1
