"""Shared helpers for the logos plugin tests: the plugin module, loaded from its file."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from cnnstudio.plugin_api import private_module

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "logos.py"


def load_logos_module() -> ModuleType:
    """plugins/logos.py imported from its file, once, with the loader the plugins use for their helpers."""
    return private_module(str(PLUGIN_PATH), "logos")


def generate(**options: Any) -> tuple[Any, Any]:
    """(ImageSet, logo coverage (N, H, W)) for ``options``, resolved and validated by the spec."""
    module = load_logos_module()
    [spec] = module.cnnstudio_datasets()
    return module.generate(spec.resolve_options(options))


def logos(**options: Any) -> Any:
    """The ImageSet the dataset's own ``load`` returns for ``options``."""
    [spec] = load_logos_module().cnnstudio_datasets()
    return spec.load(spec.resolve_options(options))
