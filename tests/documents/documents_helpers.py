"""Shared helpers for the documents plugin tests: the plugin module and a generator shortcut."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "documents.py"
_module: ModuleType | None = None


def documents_module() -> ModuleType:
    """plugins/documents.py imported from its file, the way the plugin manager does (once)."""
    global _module
    if _module is None:
        name = "documents_plugin_under_test"
        spec = importlib.util.spec_from_file_location(name, PLUGIN_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _module = module
    return _module


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
