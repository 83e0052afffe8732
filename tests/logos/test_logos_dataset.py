"""The marketing.logos dataset: registration, options, shapes, determinism, boxes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from logos_helpers import PLUGIN_PATH, generate, load_logos_module, logos

from cnnstudio.core.errors import ConfigError


def test_registers_the_logo_dataset_with_detection_task_boxes_head_and_options():
    [spec] = load_logos_module().cnnstudio_datasets()
    assert spec.id == "marketing.logos"
    assert spec.domain == "Marketing"
    assert spec.task == "detection"
    assert spec.default_head == "boxes"  # every logo; the one-box "box" head stays a choice
    assert spec.class_names == ("no_logo", "logo")
    assert spec.resolve_options({}) == {
        "count": 2000, "size": 64, "seed": 0, "difficulty": "normal", "logo_rate": 0.5, "distractors": 2,
    }
    assert "distractor" in spec.description and "detection" in spec.description.lower()


def test_registers_the_box_head_for_detection():
    [head] = load_logos_module().cnnstudio_heads()
    assert head.id == "box"
    assert head.title == "Logo detector (presence + box)"
    assert head.tasks == ("detection",)
    assert head.supports("detection") and not head.supports("classification")
    assert "IoU" in head.description and "AP" in head.description
    assert callable(head.build)


def test_registration_imports_neither_torch_nor_numpy():
    script = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("logos_probe", {str(PLUGIN_PATH)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        [dataset] = module.cnnstudio_datasets()
        [head] = module.cnnstudio_heads()
        dataset.resolve_options({{"size": 48, "distractors": 4}})
        print(sorted(name for name in ("torch", "numpy") if name in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_images_are_uint8_with_one_float_box_per_logo_image_and_none_otherwise():
    images = logos(count=120, size=48)
    assert images.images.shape == (120, 3, 48, 48)
    assert images.images.dtype == torch.uint8
    assert images.class_names == ["no_logo", "logo"]
    assert images.name == "marketing.logos"
    assert images.sources[7] == "marketing.logos#7"
    assert images.masks is None
    assert len(images.boxes) == 120
    for label, boxes in zip(images.labels.tolist(), images.boxes):
        assert boxes.dtype == torch.float32
        assert boxes.shape == ((1, 4) if label == 1 else (0, 4))


@pytest.mark.parametrize("rate, expected", [(0.5, 50), (0.3, 30), (0.0, 0), (1.0, 100)])
def test_logo_rate_sets_the_exact_share_of_logo_images(rate, expected):
    images = logos(count=100, size=32, logo_rate=rate)
    assert images.class_counts() == [100 - expected, expected]
    assert sum(len(b) for b in images.boxes) == expected
    if 0 < expected < 100:
        assert 0 < images.labels[:20].sum() < 20  # shuffled, not in blocks


def test_same_options_give_identical_scenes_and_another_seed_differs(monkeypatch):
    # Chunks of 16 images at 32 px: 40 images span three render chunks.
    monkeypatch.setattr(load_logos_module(), "CHUNK_PIXELS", 16 * 32 * 32)
    first, again, other = (logos(count=40, size=32, seed=s) for s in (3, 3, 4))
    assert torch.equal(first.images, again.images)
    assert torch.equal(first.labels, again.labels)
    assert all(torch.equal(a, b) for a, b in zip(first.boxes, again.boxes))
    assert (first.images != other.images).flatten(1).any(dim=1).all()


@pytest.mark.parametrize("difficulty", ["easy", "normal", "hard"])
@pytest.mark.parametrize("size", [16, 64])
def test_boxes_lie_inside_the_image_and_are_tight_around_the_logo(difficulty, size):
    images, coverage = generate(count=80, size=size, difficulty=difficulty)
    for i, label in enumerate(images.labels.tolist()):
        if label == 0:
            assert coverage[i].max() == 0
            continue
        x0, y0, x1, y1 = (int(v) for v in images.boxes[i][0].tolist())
        assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size
        inside = coverage[i] >= 0.5
        # Every drawn logo pixel is in the box, and the box touches the logo on all four sides.
        assert not inside[:y0].any() and not inside[y1:].any()
        assert not inside[:, :x0].any() and not inside[:, x1:].any()
        assert inside[y0].any() and inside[y1 - 1].any() and inside[:, x0].any() and inside[:, x1 - 1].any()


def test_the_logo_changes_the_pixels_inside_its_box_where_it_is_drawn():
    """Where the logo covers a pixel, the image differs from the scene's colour just outside the logo."""
    images, coverage = generate(count=60, size=64, difficulty="easy")
    x = images.images.float()
    for i in torch.nonzero(images.labels).flatten().tolist():
        x0, y0, x1, y1 = (int(v) for v in images.boxes[i][0].tolist())
        crop, cover = x[i, :, y0:y1, x0:x1], torch.from_numpy(coverage[i, y0:y1, x0:x1])
        assert cover.mean() > 0.2  # the ring and petals fill a good part of the box
        logo_colour = crop[:, cover > 0.99].mean(dim=1)
        gap_colour = crop[:, cover == 0].mean(dim=1)
        assert (logo_colour - gap_colour).abs().max() > 5


def test_logo_sizes_and_places_vary():
    images = logos(count=200, size=64)
    boxes = torch.cat([b for b in images.boxes])
    widths, centres = boxes[:, 2] - boxes[:, 0], (boxes[:, 0] + boxes[:, 2]) / 2
    assert widths.max() - widths.min() > 6
    assert centres.max() - centres.min() > 25


def test_scenes_hold_as_many_emblems_with_or_without_the_logo():
    """Counting shapes must not give the answer: look-alikes fill the logo's place in no_logo scenes."""
    module = load_logos_module()
    labels = np.arange(4000) % 2
    settings = module.DIFFICULTY["normal"]
    kinds, _, _ = module._layout(np.random.default_rng(0), labels, 2, settings)
    counts = (kinds >= 0).sum(axis=1)
    assert counts.min() == 1 and counts.max() == 2
    assert abs(counts[labels == 1].mean() - counts[labels == 0].mean()) < 0.05
    assert (kinds[labels == 1, 0] == 0).all() and not (kinds[labels == 0] == 0).any()
    assert (kinds[:, 1:] != 0).all()  # the logo only ever sits in slot 0


def test_without_distractors_only_logo_scenes_hold_an_emblem():
    module = load_logos_module()
    labels = np.arange(100) % 2
    kinds, _, _ = module._layout(np.random.default_rng(0), labels, 0, module.DIFFICULTY["easy"])
    assert ((kinds >= 0).sum(axis=1) == labels).all()


@pytest.mark.parametrize("difficulty", ["easy", "normal", "hard"])
def test_images_are_not_degenerate(difficulty):
    images = logos(count=100, size=32, difficulty=difficulty).images.float()
    assert images.std(dim=(1, 2, 3)).min() > 5
    assert images.mean(dim=(1, 2, 3)).std() > 5


@pytest.mark.parametrize(
    "options",
    [{"logo_rate": 1.5}, {"logo_rate": -0.1}, {"logo_rate": "many"}, {"distractors": 7}, {"distractors": -1},
     {"distractors": 1.5}, {"size": 8}, {"count": 5}, {"difficulty": "extreme"}, {"brand": "acme"}],
)
def test_invalid_options_are_rejected_in_words(options):
    [spec] = load_logos_module().cnnstudio_datasets()
    with pytest.raises(ConfigError, match="dataset.options"):
        spec.resolve_options(options)


@pytest.mark.parametrize("difficulty", ["easy", "normal"])
def test_easy_and_normal_print_the_logo_in_dark_ink_on_a_lighter_background(difficulty):
    images, coverage = generate(count=60, size=64, difficulty=difficulty)
    luma = images.images.float().mean(dim=1).numpy()  # (N, H, W)
    logo_images = torch.nonzero(images.labels).flatten().tolist()
    assert logo_images
    for i in logo_images:
        ink, around = coverage[i] > 0.99, coverage[i] == 0
        assert luma[i][ink].mean() < luma[i][around].mean() - 20, i


def test_fine_grained_look_alikes_are_kept_for_hard():
    """Normal look-alikes differ plainly in the inner mark; three-fold and petal variants are hard's."""
    module = load_logos_module()
    fine = {"mirrored", "four", "four_twisted", "two", "bare", "square", "spokes", "letter_a",
            "triangle_outline"}
    assert not fine & set(module.DIFFICULTY["normal"]["marks"])
    assert fine <= set(module.DIFFICULTY["hard"]["marks"])
    assert set(module.DIFFICULTY["easy"]["marks"]) <= set(module.DIFFICULTY["normal"]["marks"])
