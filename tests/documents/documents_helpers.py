"""Shared helpers for the documents plugin tests: the plugin module and a generator shortcut."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from cnnstudio.plugin_api import private_module

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "documents.py"


def documents_module() -> ModuleType:
    """plugins/documents.py imported from its file, once, with the loader the plugins use for their helpers."""
    return private_module(str(PLUGIN_PATH), "documents")


def spec() -> Any:
    [dataset] = documents_module().cnnstudio_datasets()
    return dataset


def load(**options: Any) -> Any:
    """The ImageSet for ``options`` (validated by the spec)."""
    dataset = spec()
    return dataset.load(dataset.resolve_options(options))


def generate(**options: Any) -> dict[str, Any]:
    """The raw arrays (images, originals, masks, labels, kinds) for ``options``."""
    return documents_module().generate(spec().resolve_options(options))
