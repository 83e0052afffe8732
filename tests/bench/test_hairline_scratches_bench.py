"""The hairline-scratch bench's folders: 1-2 px scratches where their masks say, read by the real MVTec import
at the images' own size."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from cnnstudio.host.manager import get_plugin_manager

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("hairline_scratches", BENCH / "hairline_scratches.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scratches_are_hairlines_and_the_folder_loads_at_128_px(tmp_path):
    bench = _bench()
    root = tmp_path / "train"
    bench.write_folder(root, good=6, scratched=3, part="train", seed=0)
    masks = sorted((root / "ground_truth" / "scratch").glob("*_mask.png"))
    assert len(masks) == 3 and len(list((root / "train" / "good").glob("*.png"))) == 6
    for mask_file in masks:
        mask = np.asarray(Image.open(mask_file)) > 0
        assert mask.shape == (128, 128)
        # A 1-2 px line 25-55 px long covers few pixels: its area over its length is its width.
        ys, xs = np.nonzero(mask)
        length = max(np.ptp(xs), np.ptp(ys)) + 1
        assert 20 <= length <= 60 and mask.sum() / length <= 3.0
    spec = get_plugin_manager().dataset(str(root))
    data = spec.load(spec.resolve_options())
    assert tuple(data.images.shape[-2:]) == (128, 128) and int(data.labels.sum()) == 3
