"""The document-forgery dataset: registration, options, shapes, determinism, masks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from documents_helpers import PLUGIN_PATH, documents_module, generate, load, spec

from cnnstudio.core.errors import ConfigError


def test_registers_the_forgery_dataset_as_a_defect_task_with_the_heatmap_head():
    dataset = spec()
    assert dataset.id == "documents.forgery"
    assert dataset.domain == "Documents"
    assert dataset.task == "defect"
    assert dataset.default_head == "heatmap"
    assert dataset.class_names == ("genuine", "forged")
    assert dataset.resolve_options({}) == {
        "count": 2000, "size": 64, "seed": 0, "difficulty": "normal", "forged_rate": 0.5, "tamper": "all",
    }
    assert "heat" in dataset.description and "where" in dataset.description


def test_registration_imports_neither_torch_nor_numpy():
    script = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("documents_probe", {str(PLUGIN_PATH)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        [dataset] = module.cnnstudio_datasets()
        dataset.resolve_options({{"size": 32, "tamper": "erase"}})
        print(sorted(name for name in ("torch", "numpy") if name in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_images_labels_and_masks_have_the_imageset_shapes_and_dtypes():
    images = load(count=60, size=40)
    assert images.images.shape == (60, 3, 40, 40) and images.images.dtype == torch.uint8
    assert images.labels.dtype == torch.int64
    assert images.masks.shape == (60, 40, 40) and images.masks.dtype == torch.uint8
    assert set(images.masks.unique().tolist()) <= {0, 1}
    assert images.class_names == ["genuine", "forged"]
    assert images.name == "documents.forgery" and images.sources[7] == "documents.forgery#7"


def test_same_options_give_identical_images_and_another_seed_differs():
    first, again = generate(count=70, size=32, seed=3), generate(count=70, size=32, seed=3)
    for name in ("images", "originals", "masks", "labels", "kinds"):
        assert np.array_equal(first[name], again[name]), name
    other = generate(count=70, size=32, seed=4)
    assert not np.array_equal(first["images"], other["images"])


def test_labels_and_kinds_do_not_depend_on_chunking(monkeypatch):
    small = generate(count=40, size=32, seed=5)
    module = documents_module()
    monkeypatch.setattr(module, "CHUNK_PIXELS", 32 * 32 * 7)  # chunks of 7 images
    chunked = generate(count=40, size=32, seed=5)
    # Each chunk has its own random stream: images differ, but labels (drawn first) do not.
    assert np.array_equal(small["labels"], chunked["labels"])
    assert np.array_equal(small["kinds"], chunked["kinds"])


@pytest.mark.parametrize("rate, forged", [(0.5, 40), (0.2, 16), (0.0, 0), (1.0, 80)])
def test_forged_rate_sets_the_share_of_forged_images(rate, forged):
    images = load(count=80, size=24, forged_rate=rate)
    assert images.class_counts() == [80 - forged, forged]
    if 0 < forged < 80:
        assert 0 < int(images.labels[:20].sum()) < 20  # shuffled, not in blocks


def test_masks_are_non_empty_exactly_for_forged_images():
    images = load(count=120, size=32, difficulty="hard")
    mask_pixels = images.masks.flatten(1).sum(dim=1)
    assert torch.equal(mask_pixels > 0, images.labels == 1)


@pytest.mark.parametrize("difficulty", ["easy", "normal", "hard"])
def test_tampering_changes_pixels_only_inside_the_mask(difficulty):
    data = generate(count=80, size=48, difficulty=difficulty, seed=1)
    changed = (data["images"] != data["originals"]).any(axis=1)  # (N, H, W)
    masks = data["masks"].astype(bool)
    assert not (changed & ~masks).any(), "a pixel outside the mask changed"
    genuine = data["labels"] == 0
    assert not changed[genuine].any()
    # Inside the mask the forgery really shows: most tampered pixels differ from the original.
    share = changed[~genuine].sum(axis=(1, 2)) / masks[~genuine].sum(axis=(1, 2))
    assert share.min() > 0.3, share.min()


def test_every_tamper_kind_is_produced_and_balanced():
    data = generate(count=160, size=32)
    kinds = data["kinds"]
    assert set(kinds[data["labels"] == 0].tolist()) == {-1}
    counts = np.bincount(kinds[kinds >= 0], minlength=4)
    assert counts.tolist() == [20, 20, 20, 20]


@pytest.mark.parametrize("tamper", ["copy_move", "splice", "erase", "resample"])
def test_tamper_option_restricts_forgeries_to_one_kind(tamper):
    data = generate(count=40, size=32, tamper=tamper)
    kind = documents_module().TAMPERS.index(tamper)
    assert set(data["kinds"][data["labels"] == 1].tolist()) == {kind}
    assert (data["images"] != data["originals"]).any(axis=1)[data["labels"] == 1].any(axis=(1, 2)).all()


def test_harder_settings_give_smaller_tampered_regions():
    easy = generate(count=200, size=48, difficulty="easy")
    hard = generate(count=200, size=48, difficulty="hard")
    mean_area = lambda data: data["masks"][data["labels"] == 1].mean()  # noqa: E731
    assert mean_area(hard) < 0.6 * mean_area(easy)


@pytest.mark.parametrize("size", [16, 96])
def test_other_sizes_work(size):
    data = generate(count=12, size=size, forged_rate=1.0)
    assert data["images"].shape == (12, 3, size, size)
    assert (data["masks"].reshape(12, -1).sum(axis=1) > 0).all()


@pytest.mark.parametrize("options, message", [
    ({"forged_rate": 1.5}, "dataset.options.forged_rate must be <= 1.0"),
    ({"forged_rate": -0.1}, "dataset.options.forged_rate must be >= 0.0"),
    ({"forged_rate": "lots"}, "dataset.options.forged_rate for documents.forgery must be float"),
    ({"tamper": "photoshop"}, "dataset.options.tamper must be one of all, copy_move, splice, erase, resample"),
    ({"difficulty": "extreme"}, "dataset.options.difficulty must be one of easy, normal, hard"),
    ({"colour": "red"}, "dataset.options.colour is not an option of documents.forgery"),
])
def test_invalid_options_are_config_errors_naming_the_field(options, message):
    with pytest.raises(ConfigError, match=message):
        spec().resolve_options(options)
