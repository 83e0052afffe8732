"""Loading a plugin's private helper files (``_*.py`` next to it), however the plugin itself was imported.

A plugin may be imported as a package module (``cnnstudio.bundled_plugins.retail``),
as ``plugins.retail`` in a source checkout, or straight from its file (a
plugin folder). Relative imports only work in the first two cases, so helpers
are loaded by path, once per process. ``load_module_from_file`` is the one
way a file becomes a module here; plugin folders (``discovery``) use it too.
"""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path
from types import ModuleType


def private_module(plugin_file: str, name: str) -> ModuleType:
    """The module ``<name>.py`` in the folder of ``plugin_file`` (pass ``__file__``), loaded once."""
    path = Path(plugin_file).resolve().with_name(f"{name}.py")
    folder_tag = zlib.crc32(str(path.parent).encode())  # two plugin folders may both have a _drawing.py
    module_name = f"cnnstudio_private_{folder_tag:08x}_{name.lstrip('_')}"
    module = sys.modules.get(module_name)
    return module if module is not None else load_module_from_file(module_name, path)


def load_module_from_file(module_name: str, path: Path, search_locations: list[str] | None = None) -> ModuleType:
    """Import the file ``path`` afresh as ``module_name`` (a package when ``search_locations`` names its folders).

    The module is in ``sys.modules`` while it runs (so it can import itself and
    its own submodules); if running it fails, it is taken out again.
    """
    spec = importlib.util.spec_from_file_location(module_name, path, submodule_search_locations=search_locations)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
