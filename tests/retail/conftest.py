"""Fixtures for the retail plugin tests: the plugin module and a tiny trainer.

The trainer is the lesson's seed model (conv 3->8, relu, conv 8->16, relu,
max-pool, linear on the flattened map) fitted with a plain PyTorch loop, so
these tests measure the dataset, not the project's Trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cnnstudio.plugin_api import private_module

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "retail.py"


def load_retail_module() -> ModuleType:
    """plugins/retail.py imported from its file, once, with the loader the plugins use for their helpers."""
    return private_module(str(PLUGIN_PATH), "retail")


@pytest.fixture(scope="session")
def plugin_path() -> Path:
    return PLUGIN_PATH


@pytest.fixture(scope="session")
def retail() -> ModuleType:
    return load_retail_module()


@pytest.fixture(scope="session")
def products(retail: ModuleType) -> Callable[..., Any]:
    """products(**options) -> ImageSet, options resolved and validated by the spec."""
    spec = retail.cnnstudio_datasets()[0]

    def make(**options: Any) -> Any:
        return spec.load(spec.resolve_options(options))

    return make


def train_seed_model(images: Any, epochs: int = 3, seed: int = 0, threads: int = 1) -> list[float]:
    """Fit the seed model on 80% of ``images``; validation accuracy after each epoch."""
    import torch

    from cnnstudio.core.config import ConvLayer, ModelConfig
    from cnnstudio.core.model.heads import build_classification_head
    from cnnstudio.core.model.network import build_model

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        x = images.images.float() / 255  # (N, 3, H, W) float in [0, 1]
        y = images.labels
        order = torch.randperm(len(y), generator=generator)
        cut = int(0.8 * len(y))
        train, val = order[:cut], order[cut:]
        mean = x[train].mean(dim=(0, 2, 3))
        std = x[train].std(dim=(0, 2, 3))
        config = ModelConfig(
            conv_layers=[ConvLayer(8), ConvLayer(16, pool=True)], batch_norm=False,
            global_pool="none", input_size=x.shape[-1],
        )
        model = build_model(config, build_classification_head, images.num_classes, mean=mean, std=std)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
        accuracies = []
        for _ in range(epochs):
            model.train()
            shuffled = train[torch.randperm(len(train), generator=generator)]
            for start in range(0, len(shuffled), 64):
                batch = shuffled[start:start + 64]
                loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            model.eval()
            with torch.no_grad():
                predicted = model(x[val]).argmax(dim=1)
            accuracies.append((predicted == y[val]).float().mean().item())
        return accuracies
    finally:
        torch.set_num_threads(previous_threads)


@pytest.fixture(scope="session")
def train() -> Callable[..., list[float]]:
    return train_seed_model
