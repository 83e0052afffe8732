"""The retail plugin's dataset: registration, options, shapes, determinism, content."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from cnnstudio.core.errors import ConfigError


def test_registers_the_retail_products_dataset_with_its_options(retail):
    [spec] = retail.cnnstudio_datasets()
    assert spec.id == "retail.products"
    assert spec.domain == "Retail"
    assert spec.task == "classification"
    assert spec.class_names == ("shoe", "handbag")
    defaults = spec.resolve_options({})
    assert defaults == {"count": 2000, "size": 32, "seed": 0, "difficulty": "normal", "classes": "2"}


def test_registration_imports_neither_torch_nor_numpy(plugin_path):
    script = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("retail_probe", {str(plugin_path)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        [dataset] = module.cnnstudio_datasets()
        dataset.resolve_options({{"size": 64}})
        print(sorted(name for name in ("torch", "numpy") if name in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_default_images_are_uint8_32px_with_balanced_labels_and_sources(products):
    images = products(count=200)
    assert images.images.shape == (200, 3, 32, 32)
    assert images.images.dtype == torch.uint8
    assert images.class_names == ["shoe", "handbag"]
    assert images.class_counts() == [100, 100]
    assert images.name == "retail.products"
    assert images.sources[17] == "retail.products#17"
    # Labels are shuffled, not in blocks.
    assert 0 < images.labels[:20].sum() < 20


def test_five_classes_give_five_names_and_balanced_labels(products):
    images = products(count=103, classes="5")
    assert images.class_names == ["shoe", "handbag", "t-shirt", "bottle", "watch"]
    counts = images.class_counts()
    assert max(counts) - min(counts) <= 1 and sum(counts) == 103


@pytest.mark.parametrize("size", [16, 64, 128])
def test_other_sizes_work(products, size):
    images = products(count=20, size=size, difficulty="hard", classes="5")
    assert images.images.shape == (20, 3, size, size)
    assert images.images.float().std(dim=(1, 2, 3)).min() > 5


def test_same_options_give_identical_images_and_another_seed_differs(products):
    # 600 images at 32 px span three render chunks.
    first = products(count=600, seed=3)
    again = products(count=600, seed=3)
    other = products(count=600, seed=4)
    assert torch.equal(first.images, again.images)
    assert torch.equal(first.labels, again.labels)
    different = (first.images != other.images).flatten(1).any(dim=1)
    assert different.all()


@pytest.mark.parametrize(
    "options",
    [{"size": 8}, {"size": 1024}, {"count": 5}, {"classes": "3"}, {"classes": 2.5},
     {"difficulty": "extreme"}, {"colour": "red"}],
)
def test_invalid_options_are_rejected_in_words(retail, options):
    [spec] = retail.cnnstudio_datasets()
    with pytest.raises(ConfigError, match="dataset.options"):
        spec.resolve_options(options)


@pytest.mark.parametrize("difficulty", ["easy", "normal", "hard"])
def test_images_are_not_degenerate(products, difficulty):
    images = products(count=100, difficulty=difficulty).images.float()
    assert images.std(dim=(1, 2, 3)).min() > 8  # no blank or flat images
    assert images.mean(dim=(1, 2, 3)).std() > 5  # scenes vary in colour and light
    assert (images.flatten(1)[1:] != images.flatten(1)[:-1]).any(dim=1).all()


def test_shoes_and_handbags_have_different_silhouettes(products):
    """Foreground shape, measured where images depart from their border colour.

    Side-view shoes are wide and low; handbags are narrower and taller with
    a handle on top. Averaged over many easy images the masks differ clearly
    and a nearest-mean rule on them tells the classes apart: which also
    proves that labels stay attached to the right images across chunks.
    """
    images = products(count=600, difficulty="easy")
    x = images.images.float()
    border = torch.cat([x[:, :, 0, :], x[:, :, -1, :], x[:, :, :, 0], x[:, :, :, -1]], dim=2).median(dim=2).values
    masks = ((x - border[:, :, None, None]).abs().amax(dim=1) > 40).float()  # (N, H, W)
    train, test = slice(0, 400), slice(400, None)
    means = torch.stack([masks[train][images.labels[train] == c].mean(dim=0) for c in (0, 1)])
    assert (means[0] - means[1]).abs().mean() > 0.08
    predicted = ((masks[test, None] - means[None]) ** 2).flatten(2).sum(dim=2).argmin(dim=1)
    assert (predicted == images.labels[test]).float().mean() > 0.8
