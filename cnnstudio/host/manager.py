"""The plugin manager: finds plugins, calls their hooks one by one, records failures.

Plugins load in a fixed order (like pytest's ``default_plugins`` then
external ones): the internal plugin (``cnnstudio.host.builtin_plugin``), the
bundled domain plugins (the top-level ``plugins/`` folder, shipped in a wheel
as ``cnnstudio.bundled_plugins``), entry points in the group ``cnnstudio``,
then drop-in plugin folders (the user's folder and ``CNNSTUDIO_PLUGIN_PATH``).

Bundled plugins sort by a module attribute ``PLUGIN_PRIORITY`` (lower first,
default 50), then by name. Generic folder-layout
claimers (``class_folders``, priority 100) must come after specialised ones
(MVTec, YOLO), because ``cnnstudio_open_folder`` is answered by the first
plugin that says yes.

pluggy alone does not isolate failures: one raising hookimpl stops the call.
So each plugin is imported in its own ``try`` and each hookimpl is called on
its own; a failure becomes a ``PluginFailure`` (plugin, origin, hook,
traceback) and everything else keeps working. Nothing here imports torch.
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pluggy

from cnnstudio.core.data.dataset_ids import absolute_folder, dataset_folder
from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS
from cnnstudio.core.errors import CNNStudioError, ConfigError, DatasetError
from cnnstudio.core.shorten import shorten
from cnnstudio.core.specs import DatasetSpec, HeadSpec, LabelKindSpec
from cnnstudio.host import hookspecs
from cnnstudio.host.builtin_label_kinds import BUILTIN_LABEL_KINDS
from cnnstudio.host.discovery import (
    FOLDER_PACKAGE,
    PLUGIN_PATH_ENV,
    PluginCandidate,
    bundled_candidates,
    bundled_plugins_dir,
    bundled_sort_key,
    default_plugin_folders,
    entry_point_candidates,
    folder_candidates,
    internal_candidates,
    user_plugin_folder,
)
from cnnstudio.host.records import PluginFailure, PluginRecord, PluginSource, one_line as _one_line

__all__ = ["PluginRecord", "PluginFailure", "StudioPluginManager", "get_plugin_manager",
           "bundled_plugins_dir", "FOLDER_PACKAGE", "PLUGIN_PATH_ENV", "DISABLE_ENV"]

log = logging.getLogger(__name__)
DISABLE_ENV = "CNNSTUDIO_DISABLE_PLUGINS"
HOOKS = ("cnnstudio_datasets", "cnnstudio_heads", "cnnstudio_label_kinds", "cnnstudio_open_folder",
         "cnnstudio_on_event")
BUILTIN = "built-in"  # the owner of the built-in label kinds in failure messages



class StudioPluginManager:
    """Loads every plugin once and answers questions about their contributions."""

    def __init__(
        self,
        *,
        builtins: bool = True,
        entry_points: bool = True,
        folders: Sequence[Path] | None = None,
        third_party: bool | None = None,
    ) -> None:
        if third_party is None:
            third_party = not os.environ.get(DISABLE_ENV)
        self.plugins: list[PluginRecord] = []
        self.failures: list[PluginFailure] = []
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._sources: dict[str, PluginSource] = {}  # plugin name -> where it was loaded from
        self._order: list[str] = []
        self._seen_failures: set[tuple[str, ...]] = set()
        self._datasets: dict[str, DatasetSpec] = {}
        self._heads: dict[str, HeadSpec] = {}
        self._label_kinds: dict[str, LabelKindSpec] = {spec.id: spec for spec in BUILTIN_LABEL_KINDS}
        self._owner: dict[tuple[str, str], str] = {  # (kind, id) -> plugin name
            ("label kind", spec.id): BUILTIN for spec in BUILTIN_LABEL_KINDS}

        for candidate in internal_candidates():
            self._load(candidate)
        if builtins:
            self._load_bundled()
        if third_party and entry_points:
            for candidate in entry_point_candidates():
                self._load(candidate)
        if third_party:
            user_folder = user_plugin_folder() if folders is None else None
            for folder in default_plugin_folders() if folders is None else [Path(f) for f in folders]:
                if folder.is_dir():
                    for candidate in folder_candidates(folder):
                        self._load(candidate)
                elif folder != user_folder:  # only the user's own folder may be missing
                    self._fail(str(folder), "import", f"plugin folder not found: {folder}",
                               source=PluginSource("folder", str(folder)))
        self._check_hook_names()
        self._collect()

    # ---- loading -------------------------------------------------------

    def _fail(self, plugin: str, hook: str, message: str, tb: str = "", source: PluginSource | None = None) -> None:
        source = source if source is not None else self._sources.get(plugin, PluginSource("", ""))
        self.failures.append(PluginFailure(plugin, source, hook, message, tb))

    def _load(self, candidate: PluginCandidate) -> None:
        """Import one plugin and register it; record any failure."""
        name, source = candidate.name, candidate.source
        try:
            plugin = candidate.load()
        except BaseException as exc:  # a plugin may even call sys.exit at import
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(name, "import", _one_line(exc), traceback.format_exc(), source)
            return
        if self._pm.is_registered(plugin):
            return  # the same module found twice (an entry point to a bundled plugin)
        if self._pm.has_plugin(name):
            first = self._sources[name]
            self._fail(name, "import", f"a plugin named '{name}' is already loaded from "
                       f"{first.location} ({first.origin}); this one is ignored", source=source)
            return
        self._sources[name] = replace(source, version=str(getattr(plugin, "__version__", "") or source.version))
        try:
            self._pm.register(plugin, name)
        except Exception as exc:  # pluggy validates hook signatures here
            self._fail(name, "register", _one_line(exc), traceback.format_exc())
            return
        self._order.append(name)
        self._check_undecorated(name, plugin)

    def _load_bundled(self) -> None:
        """Import every bundled plugin, then register them in priority order."""
        imported = []
        for candidate in bundled_candidates(bundled_plugins_dir()):
            try:
                module = candidate.load()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._fail(candidate.name, "import", _one_line(exc), traceback.format_exc(), candidate.source)
                continue
            imported.append((bundled_sort_key(candidate.name, module), replace(candidate, load=_returning(module))))
        for _, candidate in sorted(imported, key=lambda item: item[0]):
            self._load(candidate)

    # ---- checking and collecting ---------------------------------------

    def _check_undecorated(self, name: str, plugin: object) -> None:
        for attr in dir(plugin):
            if attr.startswith("cnnstudio_") and callable(getattr(plugin, attr, None)) \
                    and self._pm.parse_hookimpl_opts(plugin, attr) is None:
                self._fail(name, attr, f"{attr} is not decorated with @hookimpl, so it is never called")

    def _check_hook_names(self) -> None:
        """pluggy's check_pending(), but per plugin: an unknown hook is that plugin's failure."""
        for hook_name, caller in vars(self._pm.hook).items():
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            close = difflib.get_close_matches(hook_name, HOOKS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; hooks are {', '.join(HOOKS)}"
            for impl in caller.get_hookimpls():
                if not impl.optionalhook:
                    self._fail(impl.plugin_name, hook_name, f"{hook_name} is not a CNN Studio hook{hint}")

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        """This hook's implementations, in plugin load order (not pluggy's LIFO order)."""
        by_plugin = {impl.plugin_name: impl for impl in getattr(self._pm.hook, hook_name).get_hookimpls()}
        return [by_plugin[name] for name in self._order if name in by_plugin]

    def _call(self, impl: pluggy.HookImpl, hook_name: str, kwargs: dict[str, Any],
              once: bool = False) -> tuple[bool, Any]:
        """Call one implementation; on error record a failure and return (False, None)."""
        if impl.hookwrapper or getattr(impl, "wrapper", False):
            self._record_once((impl.plugin_name, hook_name, "wrapper"), impl.plugin_name, hook_name,
                              "hook wrappers are not supported by CNN Studio", "")
            return False, None
        try:
            return True, impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception as exc:
            key = (impl.plugin_name, hook_name) if once else (impl.plugin_name, hook_name, _one_line(exc))
            self._record_once(key, impl.plugin_name, hook_name, _one_line(exc), traceback.format_exc())
            return False, None

    def _record_once(self, key: tuple[str, ...], plugin: str, hook: str, message: str, tb: str) -> None:
        if key not in self._seen_failures:
            self._seen_failures.add(key)
            self._fail(plugin, hook, message, tb)

    def _collect(self) -> None:
        for hook_name, kind, registry in (("cnnstudio_datasets", DatasetSpec, self._datasets),
                                          ("cnnstudio_heads", HeadSpec, self._heads),
                                          ("cnnstudio_label_kinds", LabelKindSpec, self._label_kinds)):
            for impl in self._impls(hook_name):
                ok, result = self._call(impl, hook_name, {})
                if ok:
                    self._register_all(impl.plugin_name, hook_name, kind, registry, result)
        layouts = {impl.plugin_name for impl in self._impls("cnnstudio_open_folder")}
        self._observers = self._impls("cnnstudio_on_event")  # emit() runs per batch: look up once
        observers = {impl.plugin_name for impl in self._observers}
        for name in self._order:
            self.plugins.append(PluginRecord(
                name, self._sources[name],
                tuple(i for (k, i), owner in self._owner.items() if k == "dataset" and owner == name),
                tuple(i for (k, i), owner in self._owner.items() if k == "head" and owner == name),
                name in layouts, name in observers))

    def _register_all(self, plugin: str, hook_name: str, kind: type[DatasetSpec | HeadSpec | LabelKindSpec],
                      registry: dict[str, Any], result: Any) -> None:
        label = {DatasetSpec: "dataset", HeadSpec: "head", LabelKindSpec: "label kind"}[kind]
        if not isinstance(result, (list, tuple)):
            self._fail(plugin, hook_name, f"returned {type(result).__name__}, expected a list of {kind.__name__}")
            return
        for item in result:
            if not isinstance(item, kind):
                self._fail(plugin, hook_name, f"returned a list holding {type(item).__name__}, "
                           f"expected a list of {kind.__name__}")
                continue
            first = self._owner.get((label, item.id))
            if first == BUILTIN:
                self._fail(plugin, hook_name, f"{label} id '{item.id}' from plugin '{plugin}' is the id of a "
                           f"built-in {label}; the built-in one is used (prefix yours: '{plugin}.{item.id}')")
                continue
            if first is not None:
                self._fail(plugin, hook_name, f"{label} id '{item.id}' from plugin '{plugin}' is already "
                           f"registered by plugin '{first}'; the one from '{first}' is used")
                continue
            self._owner[(label, item.id)] = plugin
            registry[item.id] = item

    # ---- questions -----------------------------------------------------

    def datasets(self) -> dict[str, DatasetSpec]:
        """Every registered dataset by id, in plugin order."""
        return dict(self._datasets)

    def heads(self) -> dict[str, HeadSpec]:
        """Every registered head by id, in plugin order."""
        return dict(self._heads)

    def label_kinds(self) -> list[LabelKindSpec]:
        """The kinds of label the Label tab offers: the built-in ones, then the plugins' in plugin order."""
        return list(self._label_kinds.values())

    def dataset(self, id_or_folder: str) -> DatasetSpec:
        """A dataset by id, or the dataset a plugin reads from a folder.

        Every id this manager hands out comes back here: a registered id, ``folder:PATH``
        (what the folder layouts name an opened folder) or a plain path, relative,
        with ``~``, spaces or non-ASCII names.
        """
        if isinstance(id_or_folder, str) and id_or_folder in self._datasets:
            return self._datasets[id_or_folder]
        try:
            folder = dataset_folder(str(id_or_folder))
            if folder is not None and folder.is_dir():
                return self.open_folder(folder)
            exists = folder is not None and folder.exists()
        except (OSError, ValueError) as error:  # a name too long for the file system, a NUL character
            reason = getattr(error, "strerror", None) or "not a valid folder name"
            raise DatasetError(f"dataset '{shorten(str(id_or_folder))}': {reason}") from None
        if folder is not None:
            reason = "not a folder" if exists else "folder not found"
            raise DatasetError(f"{reason}: {shorten(str(folder), 200)}")
        known = ", ".join(self._datasets) or "none"
        raise DatasetError(f"unknown dataset '{shorten(str(id_or_folder))}'; known: {known} (or give a folder of images)")

    def head(self, head_id: str, options: dict[str, Any] | None = None) -> HeadSpec:
        """A head by id; an unknown id is a ConfigError naming the known ones.

        With ``options`` (a config's ``head.options``), an option the head does not
        declare is a ConfigError too (see ``HeadSpec.options``).
        """
        if isinstance(head_id, str) and head_id in self._heads:
            spec = self._heads[head_id]
            if options is not None:
                spec.check_options(options)
            return spec
        known = ", ".join(self._heads) or "none"
        raise ConfigError(f"head.id: unknown head '{shorten(str(head_id))}'; known: {known}")

    def heads_for_task(self, task: str) -> list[HeadSpec]:
        """The heads that can serve ``task``, in plugin order."""
        return [head for head in self._heads.values() if head.supports(task)]

    def open_folder(self, path: Path) -> DatasetSpec:
        """Ask each layout plugin in order whether it reads ``path``; the first yes wins.

        A ``CNNStudioError`` from a plugin is its answer for people ("this is a
        class folder, but it holds no images") and is raised as is; any other
        exception is recorded against the plugin and the next one is asked.
        """
        path = absolute_folder(path)
        if not path.is_dir():
            raise DatasetError(f"folder not found: {path}")
        broken: list[str] = []
        for impl in self._impls("cnnstudio_open_folder"):
            try:
                result = impl.function(*[{"path": path}[arg] for arg in impl.argnames])
            except CNNStudioError:
                raise
            except Exception as exc:
                self._record_once((impl.plugin_name, "cnnstudio_open_folder", _one_line(exc)),
                                  impl.plugin_name, "cnnstudio_open_folder", _one_line(exc),
                                  traceback.format_exc())
                broken.append(f"{impl.plugin_name} failed: {_one_line(exc)}")
                continue
            if result is None:
                continue
            if isinstance(result, DatasetSpec):
                return result
            self._fail(impl.plugin_name, "cnnstudio_open_folder",
                       f"returned {type(result).__name__}, expected a DatasetSpec or None")
        if broken:
            log.warning("%s: folder layout plugins failed: %s", path, "; ".join(broken))
        if not _holds_images(path):
            raise DatasetError(f"no images found in {path} (nor in its sub-folders): CNN Studio reads "
                               f"{', '.join(IMAGE_EXTENSIONS)} files")
        layouts = "; ".join(self._layout_descriptions()) or "no folder layout plugins are loaded"
        raise DatasetError(f"{path} holds images, but not in a layout CNN Studio reads. Put them in one "
                           f"sub-folder per class (ok/, defect/ ...), or use one of: {layouts}")

    def _layout_descriptions(self) -> list[str]:
        """Each layout plugin's one-line LAYOUT (or docstring), in words for people."""
        descriptions = []
        for impl in self._impls("cnnstudio_open_folder"):
            doc = (getattr(impl.plugin, "LAYOUT", None) or getattr(impl.plugin, "__doc__", None) or "").strip()
            first = doc.splitlines()[0].rstrip(".") if doc else ""
            if first and impl.plugin_name != "class_folders":  # the class-folder layout is named in the message
                descriptions.append(first)
        return descriptions

    def emit(self, event: object) -> None:
        """Give ``event`` to every observer; failures are recorded once, never raised."""
        for impl in self._observers:
            self._call(impl, "cnnstudio_on_event", {"event": event}, once=True)

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin (loaded or not) with its failures, ready for json.dumps."""
        entries: list[dict[str, Any]] = []
        for record in self.plugins:
            failures = [f.as_dict() for f in self.failures if f.plugin == record.name]
            entry = record.as_dict()
            entry.update(status="errors" if failures else "ok", failures=failures)
            entries.append(entry)
        loaded = {record.name for record in self.plugins}
        for failure in self.failures:
            if failure.plugin not in loaded and failure.hook == "import":
                entries.append(dict(name=failure.plugin, origin=failure.origin, location=failure.location,
                                    version="", datasets=[], heads=[], layouts=False, observer=False,
                                    status="failed to load", failures=[failure.as_dict()]))
        return entries


def _holds_images(folder: Path, budget: int = 5000) -> bool:
    """Whether ``folder`` or a sub-folder holds an image file (by name; at most ``budget`` entries looked at)."""
    for _root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        if any(Path(name).suffix.lower() in IMAGE_EXTENSIONS for name in files):
            return True
        budget -= len(files) + len(dirs)
        if budget <= 0:
            return True  # too big to be sure: let the layout message speak
    return False


_manager: StudioPluginManager | None = None
_manager_lock = threading.Lock()


def _returning(module: object) -> Callable[[], object]:
    """A ``load`` that gives back the plugin module imported already."""
    return lambda: module


def get_plugin_manager(reload: bool = False) -> StudioPluginManager:
    """The process-wide plugin manager, created on first use (or again with ``reload``)."""
    global _manager
    with _manager_lock:
        if _manager is None or reload:
            _manager = StudioPluginManager()
        return _manager
