"""MVTec-AD folders with good images only, and real defects kept for evaluation (issue 13)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from imports_helpers import background, make_mvtec, plugin_helper, save

from cnnstudio.core.config import DatasetConfig, HeadConfig, RunConfig
from cnnstudio.core.data.imageset import ANY_SPLIT, EVAL_ONLY, TRAIN_ONLY
from cnnstudio.core.errors import ConfigError, DatasetError
from cnnstudio.core.evaluate.evaluation import split_indices
from cnnstudio.core.train.fit_session import prepare_fit_data
from cnnstudio.host.manager import get_plugin_manager


def load(root, **options):
    spec = get_plugin_manager().open_folder(root)
    return spec.load(spec.resolve_options(options))


def good_only(root, count=6):
    for i in range(count):
        save(root / "train" / "good" / f"{i:03d}.png", background(48, 48, seed=i))
    return root


def test_a_folder_of_good_images_only_loads_with_one_synthetic_defect_per_good_image(tmp_path):
    root = good_only(tmp_path / "tile")  # train/good/ alone: no test/ folder at all
    spec = get_plugin_manager().open_folder(root)
    assert spec.task == "defect" and spec.default_head == "defect_map" and "none found yet" in spec.description
    data = load(root, size=32)
    assert data.class_names == ["good", "defect"]
    assert data.labels.tolist() == [0] * 6 + [1] * 6
    assert data.sources[6:] == [f"{source}#synthetic" for source in data.sources[:6]]
    assert data.masks.shape == (12, 32, 32)
    assert data.masks[:6].sum() == 0 and all(int(m.sum()) > 0 for m in data.masks[6:])
    # Painted where the mask says, the rest of each copy is its good image.
    change = (data.images[6:].int() - data.images[:6].int()).abs().amax(dim=1).float()
    inside, outside = change[data.masks[6:] > 0], change[data.masks[6:] == 0]
    assert float((outside > 8).float().mean()) < 0.01 and float(inside.mean()) > 10 * float(outside.mean())
    # Without real defects every image may go to any split, so validation scores synthetic defects.
    assert data.split_roles.tolist() == [ANY_SPLIT] * 12
    assert torch.equal(load(root, size=32).images, data.images)  # the same folder, the same images


def test_evaluate_only_trains_on_synthetic_defects_and_keeps_the_real_ones_for_scoring(tmp_path):
    root = make_mvtec(tmp_path / "bottle")  # 7 good images, 5 real defects
    data = load(root, size=32, defects="evaluate_only")
    assert data.labels.tolist() == [0] * 7 + [1] * 5 + [1] * 7
    assert data.split_roles.tolist() == [ANY_SPLIT] * 7 + [EVAL_ONLY] * 5 + [TRAIN_ONLY] * 7
    config = RunConfig(dataset=DatasetConfig(id=str(root)), head=HeadConfig(id="heatmap"), seed=2)
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, val_fraction=0.3,
                                                                      test_fraction=0.2)).validate()
    fit = prepare_fit_data(data, config)
    real = [s for s in data.sources if "/test/crack/" in s or "/test/scratch/" in s]
    assert not set(fit.train.sources) & set(real)
    assert {s for s in fit.val.sources + fit.test.sources if s in real} == set(real)
    assert not any(s.endswith("#synthetic") for s in fit.val.sources + fit.test.sources)
    # Evaluate, export parity and the GUI use split_indices: the very same images.
    val = split_indices(config.training, config.seed, data.labels, "val", data.split_roles)
    assert [data.sources[i] for i in val.tolist()] == fit.val.sources


def test_train_and_synthetic_trains_on_both_and_validates_on_real_defects_only(tmp_path):
    data = load(make_mvtec(tmp_path / "bottle"), size=32, defects="train_and_synthetic")
    assert data.labels.tolist() == [0] * 7 + [1] * 5 + [1] * 7
    assert data.split_roles.tolist() == [ANY_SPLIT] * 12 + [TRAIN_ONLY] * 7


def test_default_keeps_training_on_real_defects_without_synthetic_ones(tmp_path):
    data = load(make_mvtec(tmp_path / "bottle"), size=32)  # 5 real defects among 7 good: plenty
    assert len(data) == 12 and data.split_roles is None


def test_default_adds_synthetic_defects_when_the_real_ones_are_few(tmp_path):
    root = good_only(make_mvtec(tmp_path / "bottle"), count=60)  # 5 real defects among 62 good
    data = load(root, size=32)
    synthetic = [s for s in data.sources if s.endswith("#synthetic")]
    assert len(data) == 62 + 5 + 62 and len(synthetic) == 62
    assert data.split_roles.tolist() == [ANY_SPLIT] * 67 + [TRAIN_ONLY] * 62
    assert len(load(root, size=32, defects="train")) == 67
    # One class per defect type needs real images per type: auto then keeps to the real ones.
    assert len(load(root, size=32, defect_types=True)) == 67


def test_defect_types_without_real_defects_to_train_on_is_an_error_naming_the_folder(tmp_path):
    root = good_only(tmp_path / "tile")
    with pytest.raises(DatasetError, match=f"{root}: defect_types needs real defect images"):
        load(root, defect_types=True)
    with pytest.raises(ConfigError, match="dataset.options.defects must be one of auto, train, train_and_synthetic, evaluate_only"):
        load(make_mvtec(tmp_path / "bottle"), defects="synthetic")


def test_synthetic_defects_are_thin_scars_or_small_blobs_drawn_from_the_seed():
    painter = plugin_helper("_synthetic_anomalies")
    images = torch.randint(90, 150, (4, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    painted, masks, origins = painter.paint_synthetic_defects(images, 40, seed=3)
    assert painted.shape == (40, 3, 64, 64) and masks.shape == (40, 64, 64) and origins == [i % 4 for i in range(40)]
    shares = masks.flatten(1).float().mean(dim=1)
    assert bool((shares > 0).all()) and bool((shares < 0.08).all())
    again = painter.paint_synthetic_defects(images, 40, seed=3)
    assert torch.equal(again[0], painted) and not torch.equal(painter.paint_synthetic_defects(images, 40, seed=4)[0], painted)
