"""Tiny trained runs for the compare tests: the CLI trains them, as a person would."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.cli import main

TINY_CONFIG = """\
seed = 3
device = "cpu"
threads = 1

[dataset]
id = "retail.products"
options = {{ count = 120, size = 16 }}

[model]
input_size = 16
pooling = "{pooling}"
conv_layers = [ {{ out_channels = 8, pool = true }}, {{ out_channels = 16, pool = true }} ]

[training]
epochs = {epochs}
batch_size = 16
lr = {lr}
test_fraction = 0.1
"""


def train_tiny(base: Path, name: str, pooling: str = "max", lr: float = 0.003, epochs: int = 2) -> Path:
    """Train a tiny retail.products run into ``base/name/`` and return its run folder."""
    config = base / f"{name}.toml"
    config.write_text(TINY_CONFIG.format(pooling=pooling, lr=lr, epochs=epochs), encoding="utf-8")
    out = base / name
    assert main(["train", "--config", str(config), "--out", str(out), "--no-progress"]) == 0
    (run,) = list(out.iterdir())
    return run
