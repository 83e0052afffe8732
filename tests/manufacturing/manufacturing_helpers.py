"""Helpers for the manufacturing plugin tests: the plugin module, loaded from its file."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from cnnstudio.plugin_api import private_module

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "manufacturing.py"


def load_manufacturing_module() -> ModuleType:
    """plugins/manufacturing.py imported from its file, once, with the loader the plugins use for their helpers."""
    return private_module(str(PLUGIN_PATH), "manufacturing")


def surfaces(**options: Any) -> Any:
    """The ImageSet for ``options`` (resolved and validated by the dataset spec)."""
    [spec] = load_manufacturing_module().cnnstudio_datasets()
    return spec.load(spec.resolve_options(options))
