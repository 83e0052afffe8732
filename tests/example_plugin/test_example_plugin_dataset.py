"""The example plugin's stripes dataset: deterministic per seed, labels match the stripes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

MODULE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cnnstudio-stripes" / "cnnstudio_stripes" / "__init__.py"


def stripes_spec():
    spec = importlib.util.spec_from_file_location("example_plugin_stripes_under_test", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    [dataset] = module.cnnstudio_datasets()
    return dataset


def test_stripes_are_deterministic_per_seed_and_differ_between_seeds():
    dataset = stripes_spec()
    first = dataset.load(dataset.resolve_options({"count": 20, "size": 16, "seed": 3}))
    again = dataset.load(dataset.resolve_options({"count": 20, "size": 16, "seed": 3}))
    other = dataset.load(dataset.resolve_options({"count": 20, "size": 16, "seed": 4}))
    assert tuple(first.images.shape) == (20, 3, 16, 16) and first.images.dtype == torch.uint8
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.images, other.images)
    assert first.class_names == ["horizontal", "vertical"]


def test_horizontal_stripes_vary_down_rows_and_vertical_ones_across_columns():
    dataset = stripes_spec()
    images = dataset.load(dataset.resolve_options({"count": 40, "size": 32, "difficulty": "easy"}))
    gray = images.images.float().mean(dim=1)  # (N, H, W)
    row_spread = gray.mean(dim=2).std(dim=1)  # brightness profile down the rows
    column_spread = gray.mean(dim=1).std(dim=1)
    horizontal = images.labels == 0
    assert 0 < int(horizontal.sum()) < 40
    assert bool((row_spread[horizontal] > column_spread[horizontal]).all())
    assert bool((column_spread[~horizontal] > row_spread[~horizontal]).all())


def test_harder_difficulty_means_fainter_stripes():
    dataset = stripes_spec()
    def contrast(difficulty: str) -> float:
        images = dataset.load(dataset.resolve_options({"count": 40, "size": 32, "difficulty": difficulty}))
        gray = images.images.float().mean(dim=1)
        return float(torch.maximum(gray.mean(dim=2).std(dim=1), gray.mean(dim=1).std(dim=1)).mean())
    assert contrast("easy") > contrast("normal") > contrast("hard")
