"""Where plugins come from: the internal plugin, bundled plugins, entry points, folders.

Each finder returns ``PluginCandidate``s whose ``load()`` imports the plugin;
nothing is imported while finding, so the manager can wrap every import in
its own ``try`` (pluggy's ``load_setuptools_entrypoints`` does not).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cnnstudio
from cnnstudio.host.hookspecs import ENTRY_POINT_GROUP
from cnnstudio.host.plugin_files import load_module_from_file
from cnnstudio.host.records import PluginSource

INTERNAL_PLUGINS = {"cnnstudio": "cnnstudio.host.builtin_plugin"}  # plugin name -> module
BUNDLED_PACKAGE = "cnnstudio.bundled_plugins"
FOLDER_PACKAGE = "cnnstudio_user_plugins"
PLUGIN_PATH_ENV = "CNNSTUDIO_PLUGIN_PATH"
DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class PluginCandidate:
    """A plugin found but not imported yet."""

    name: str
    source: PluginSource
    load: Callable[[], object]


def bundled_plugins_dir() -> Path:
    """The folder of bundled domain plugins: in the wheel, else the source checkout."""
    package_dir = Path(cnnstudio.__file__).parent
    inside = package_dir / "bundled_plugins"
    return inside if inside.is_dir() else package_dir.parent / "plugins"


def user_plugin_folder() -> Path:
    """The person's own plugin folder (it need not exist)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("cnnstudio")) / "plugins"


def default_plugin_folders() -> list[Path]:
    """The user's plugin folder, then every folder in CNNSTUDIO_PLUGIN_PATH."""
    env = os.environ.get(PLUGIN_PATH_ENV, "")
    return [user_plugin_folder()] + [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]


def internal_candidates() -> list[PluginCandidate]:
    package_dir = Path(cnnstudio.__file__).parent
    return [
        PluginCandidate(name, PluginSource("internal", str(package_dir.joinpath(*module.split(".")[1:]).with_suffix(".py")),
                                           cnnstudio.__version__),
                        functools.partial(importlib.import_module, module))
        for name, module in INTERNAL_PLUGINS.items()
    ]


def bundled_candidates(folder: Path) -> list[PluginCandidate]:
    """Every ``*.py`` in ``folder`` not starting with ``_``, by file name."""
    if not folder.is_dir():
        return []
    _ensure_bundled_package(folder)
    return [
        PluginCandidate(path.stem, PluginSource("builtin", str(path), cnnstudio.__version__),
                        functools.partial(importlib.import_module, f"{BUNDLED_PACKAGE}.{path.stem}"))
        for path in sorted(folder.glob("*.py")) if not path.name.startswith("_")
    ]


def bundled_sort_key(name: str, module: object) -> tuple[float, str]:
    """``PLUGIN_PRIORITY`` (lower first; generic layout claimers set a high one
    so specialised layouts such as MVTec-AD or YOLO are asked first), then the name."""
    priority = getattr(module, "PLUGIN_PRIORITY", DEFAULT_PRIORITY)
    if isinstance(priority, bool) or not isinstance(priority, (int, float)):
        priority = DEFAULT_PRIORITY
    return (priority, name)


def _ensure_bundled_package(folder: Path) -> None:
    """Make ``cnnstudio.bundled_plugins`` the package of ``folder``.

    An installed wheel (or the editable install) maps it already; a bare
    source checkout on PYTHONPATH does not, so build it from the folder.
    """
    try:
        package = importlib.import_module(BUNDLED_PACKAGE)
        if folder.resolve() in [Path(p).resolve() for p in getattr(package, "__path__", [])]:
            return
    except ImportError:
        pass
    init = folder / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        BUNDLED_PACKAGE, init if init.exists() else None, submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec) if spec else types.ModuleType(BUNDLED_PACKAGE)
    package.__path__ = [str(folder)]
    sys.modules[BUNDLED_PACKAGE] = package
    if spec and spec.loader and init.exists():
        spec.loader.exec_module(package)


def entry_point_candidates() -> list[PluginCandidate]:
    """The ``cnnstudio`` entry points of installed distributions."""
    found: dict[tuple[str, str], PluginCandidate] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, ep.value) in found:  # one distribution seen twice on sys.path
            continue
        dist = getattr(ep, "dist", None)
        version = str(getattr(dist, "version", "") or "")
        where = f"{ep.value} ({dist.name} {version})" if dist is not None else ep.value
        found[(ep.name, ep.value)] = PluginCandidate(ep.name, PluginSource("entry point", where, version), ep.load)
    return list(found.values())


def folder_candidates(folder: Path) -> list[PluginCandidate]:
    """Each ``*.py`` file and package folder in ``folder``, by name."""
    candidates = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" and path.is_file():
            file, search = path, None
        elif path.is_dir() and (path / "__init__.py").is_file():
            file, search = path / "__init__.py", [str(path)]
        else:
            continue
        module_name = f"{FOLDER_PACKAGE}.{path.stem}"
        candidates.append(PluginCandidate(path.stem, PluginSource("folder", str(path)),
                                          functools.partial(import_file, module_name, file, search)))
    return candidates


def import_file(module_name: str, path: Path, search: list[str] | None = None) -> types.ModuleType:
    """Import a plugin file (or package ``__init__.py``) afresh under ``module_name``."""
    if FOLDER_PACKAGE not in sys.modules:  # the parent, so package plugins can use relative imports
        parent = types.ModuleType(FOLDER_PACKAGE, "Plugins loaded from plugin folders.")
        parent.__path__ = []
        sys.modules[FOLDER_PACKAGE] = parent
    return load_module_from_file(module_name, path, search)
