"""The manufacturing.surfaces dataset: registration, options, shapes, determinism, labels and masks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from manufacturing_helpers import PLUGIN_PATH, load_manufacturing_module, surfaces

from cnnstudio.core.errors import ConfigError

DEFECT_CLASSES = ["ok", "scratch", "crack", "spot", "dent", "contamination"]


def test_registers_the_surfaces_dataset_as_a_defect_task_with_its_options():
    [spec] = load_manufacturing_module().cnnstudio_datasets()
    assert (spec.id, spec.domain, spec.task, spec.default_head) == ("manufacturing.surfaces", "Manufacturing", "defect", "defect_map")
    assert spec.class_names == ("ok", "defect")
    assert spec.resolve_options({}) == {
        "count": 2000, "size": 64, "seed": 0, "difficulty": "normal",
        "defect_rate": 0.2, "defect_types": False, "textures": "all",
    }
    # The description teaches the imbalance lesson.
    assert "defect_rate" in spec.description and "class_balanced_loss" in spec.description


def test_registration_imports_neither_torch_nor_numpy():
    script = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("manufacturing_probe", {str(PLUGIN_PATH)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        [dataset] = module.cnnstudio_datasets()
        heads = module.cnnstudio_heads()
        dataset.resolve_options({{"size": 32, "defect_rate": 0.5}})
        print(sorted(name for name in ("torch", "numpy") if name in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"defect_rate": 0.0}, "defect_rate"),
        ({"defect_rate": 1.0}, "defect_rate"),
        ({"defect_rate": "many"}, "defect_rate"),
        ({"defect_types": "yes"}, "defect_types"),
        ({"textures": "marble"}, "textures"),
        ({"difficulty": "extreme"}, "difficulty"),
        ({"size": 8}, "size"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_options_are_refused_naming_the_field(options, field):
    [spec] = load_manufacturing_module().cnnstudio_datasets()
    with pytest.raises(ConfigError, match=f"dataset.options.{field}"):
        spec.resolve_options(options)


def test_images_labels_and_masks_have_the_contract_shapes_and_dtypes():
    data = surfaces(count=60, size=40)
    assert data.images.shape == (60, 3, 40, 40) and data.images.dtype == torch.uint8
    assert data.labels.shape == (60,) and data.labels.dtype == torch.int64
    assert data.masks.shape == (60, 40, 40) and data.masks.dtype == torch.uint8
    assert set(data.masks.unique().tolist()) <= {0, 1}
    assert data.class_names == ["ok", "defect"]
    assert data.name == "manufacturing.surfaces" and data.sources[7] == "manufacturing.surfaces#7"


def test_same_options_give_identical_tensors_and_other_seeds_other_images():
    first, again = surfaces(count=150, size=64, seed=3), surfaces(count=150, size=64, seed=3)  # 3 chunks
    assert torch.equal(first.images, again.images)
    assert torch.equal(first.labels, again.labels)
    assert torch.equal(first.masks, again.masks)
    other = surfaces(count=150, size=64, seed=4)
    assert not torch.equal(first.images, other.images)


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5, 0.9])
def test_the_share_of_defect_images_follows_defect_rate(rate):
    data = surfaces(count=200, size=16, defect_rate=rate)
    assert data.class_counts()[1] == round(200 * rate)
    # Shuffled, not in a block at the start.
    defects = torch.nonzero(data.labels)[:, 0]
    assert defects.max() - defects.min() > 100


def test_extreme_defect_rates_still_give_both_classes():
    assert surfaces(count=10, size=16, defect_rate=0.99).class_counts() == [1, 9]
    assert surfaces(count=10, size=16, defect_rate=0.01).class_counts() == [9, 1]


def test_masks_are_non_empty_exactly_for_defect_images():
    data = surfaces(count=120, size=32, defect_rate=0.5, difficulty="hard")
    has_mask = data.masks.flatten(1).any(dim=1)
    assert torch.equal(has_mask, data.labels == 1)


@pytest.mark.parametrize("difficulty", ["easy", "normal", "hard"])
def test_defects_change_the_image_only_at_and_next_to_their_mask(difficulty):
    module = load_manufacturing_module()
    options = {"count": 60, "size": 48, "seed": 5, "difficulty": difficulty, "defect_rate": 0.5}
    plan = module.plan_images(options)
    with_defects, masks = module.render_all(plan, options)
    without, same_masks = module.render_all(plan, options, draw_defects=False)
    assert np.array_equal(masks, same_masks)
    difference = np.abs(with_defects.astype(np.int16) - without).max(axis=1)  # (N, H, W)
    near = torch.nn.functional.max_pool2d(torch.from_numpy(masks).float()[:, None], 7, 1, 3)[:, 0].numpy() > 0
    assert difference[~near].max() == 0  # nothing changes away from the defect
    defective = plan["kinds"] >= 0
    inside = np.array([difference[i][masks[i] == 1].mean() for i in np.flatnonzero(defective)])
    # Every defect shows inside its mask, on average by several grey levels.
    assert inside.min() > 0 and inside.mean() > 5
    assert difference[~defective].max() == 0


def test_hard_defects_are_fainter_and_smaller_than_easy_ones():
    module = load_manufacturing_module()
    measured = {}
    for difficulty in ("easy", "hard"):
        options = {"count": 100, "size": 48, "seed": 2, "difficulty": difficulty, "defect_rate": 0.5}
        plan = module.plan_images(options)
        images, masks = module.render_all(plan, options)
        clean, _ = module.render_all(plan, options, draw_defects=False)
        difference = np.abs(images.astype(np.int16) - clean).max(axis=1)
        defective = masks.reshape(len(masks), -1).any(axis=1)
        measured[difficulty] = (difference[masks == 1].mean(), masks[defective].sum(axis=(1, 2)).mean())
    assert measured["hard"][0] < 0.7 * measured["easy"][0]
    assert measured["hard"][1] < 0.7 * measured["easy"][1]


def test_defect_types_name_the_kind_of_defect_and_keep_the_defect_rate():
    data = surfaces(count=100, size=16, defect_rate=0.5, defect_types=True)
    assert data.class_names == DEFECT_CLASSES
    counts = data.class_counts()
    assert counts[0] == 50 and sum(counts[1:]) == 50
    assert max(counts[1:]) - min(counts[1:]) <= 1
    # The same seed gives the same images whichever way they are labelled.
    plain = surfaces(count=100, size=16, defect_rate=0.5)
    assert torch.equal(plain.images, data.images)
    assert torch.equal(plain.labels, (data.labels > 0).long())


def test_a_single_texture_can_be_chosen():
    module = load_manufacturing_module()
    for name in module.TEXTURE_NAMES:
        plan = module.plan_images({"count": 20, "seed": 0, "textures": name, "defect_rate": 0.2})
        assert set(plan["textures"].tolist()) == {module.TEXTURE_NAMES.index(name)}
    fabric = surfaces(count=20, size=32, textures="fabric")
    metal = surfaces(count=20, size=32, textures="metal")
    assert not torch.equal(fabric.images, metal.images)


@pytest.mark.parametrize("size", [16, 64, 96])
def test_other_sizes_work_and_keep_masks_consistent(size):
    data = surfaces(count=20, size=size, difficulty="hard", defect_rate=0.5)
    assert data.images.shape == (20, 3, size, size)
    assert torch.equal(data.masks.flatten(1).any(dim=1), data.labels == 1)
