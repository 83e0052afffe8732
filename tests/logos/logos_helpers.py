"""Shared helpers for the logos plugin tests: the plugin module, loaded from its file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "plugins" / "logos.py"


def load_logos_module(name: str = "logos_plugin_under_test") -> ModuleType:
    """Import plugins/logos.py from its file, the way a folder plugin is imported."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PLUGIN_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def generate(**options: Any) -> tuple[Any, Any]:
    """(ImageSet, logo coverage (N, H, W)) for ``options``, resolved and validated by the spec."""
    module = load_logos_module()
    [spec] = module.cnnstudio_datasets()
    return module.generate(spec.resolve_options(options))


def logos(**options: Any) -> Any:
    """The ImageSet the dataset's own ``load`` returns for ``options``."""
    [spec] = load_logos_module().cnnstudio_datasets()
    return spec.load(spec.resolve_options(options))
