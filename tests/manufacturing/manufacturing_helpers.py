"""Helpers for the manufacturing plugin tests: the plugin module, loaded from its file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "manufacturing.py"


def load_manufacturing_module(name: str = "manufacturing_plugin_under_test") -> ModuleType:
    """Import plugins/manufacturing.py from its file, the way the plugin manager's folder loader does."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PLUGIN_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def surfaces(**options: Any) -> Any:
    """The ImageSet for ``options`` (resolved and validated by the dataset spec)."""
    [spec] = load_manufacturing_module().cnnstudio_datasets()
    return spec.load(spec.resolve_options(options))
