"""Tiny trained runs and image folders for the suggestion tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

COLOURS = {"blue": (20, 40, 220), "red": (220, 30, 20)}


def write_colour_images(folder: Path, count: int, size: tuple[int, int] = (16, 16), seed: int = 0) -> dict[str, str]:
    """``count`` noisy solid-colour PNGs of each colour under ``folder/<colour>/``; {relative path: colour}."""
    rng = np.random.default_rng(seed)
    written = {}
    for colour, rgb in COLOURS.items():
        (folder / colour).mkdir(parents=True, exist_ok=True)
        for number in range(count):
            pixels = np.clip(np.array(rgb) + rng.integers(-15, 16, (*size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / colour / f"{number}.png")
            written[f"{colour}/{number}.png"] = colour
    return written


def train_colour_run(base: Path) -> Path:
    """A classification run on red and blue squares, trained in a few seconds (``cnnstudio train``)."""
    from cnnstudio.cli.main import main

    photos = base / "photos"
    write_colour_images(photos, 16, seed=1)
    config = base / "colours.toml"
    config.write_text("\n".join([
        "seed = 3", 'device = "cpu"', "threads = 1", "",
        "[dataset]", f"id = {json.dumps(str(photos))}", "options = { size = 16 }", "",
        "[model]", "input_size = 16", "conv_layers = [ { out_channels = 4, pool = true } ]", "",
        "[training]", "epochs = 6", "batch_size = 8", "lr = 0.02", "test_fraction = 0.0",
        "augment_shift = false",
    ]) + "\n", encoding="utf-8")
    out = base / "runs"
    assert main(["train", "--config", str(config), "--out", str(out), "--no-progress"]) == 0
    (run,) = list(out.iterdir())
    return run
