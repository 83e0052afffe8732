"""Tiny trained runs for the compare tests: the CLI trains them, as a person would."""

from __future__ import annotations

from pathlib import Path

from tiny_runs import train_tiny_run


def train_tiny(base: Path, name: str, pooling: str = "max", lr: float = 0.003, epochs: int = 2) -> Path:
    """Train a tiny retail.products run into ``base/name/`` and return its run folder."""
    return train_tiny_run(base, "retail.products", config_name=name, out=base / name,
                          seed=3, pooling=pooling, epochs=epochs, extra_toml=f"lr = {lr}\n")
