"""The layering of docs/architecture.md as a whitelist, enforced so it cannot rot.

Each module of ``cnnstudio`` belongs to a layer (its first package below
``cnnstudio``) and may import only the layers listed for it, at any depth
(imports inside functions count). Third-party packages are listed too where a
layer must stay free of them: the core never loads Qt or pluggy.
"""

from __future__ import annotations

import subprocess
import sys

from import_graph import ROOT, all_imports, cycles, imports_of, own_modules, runtime_graph

# layer -> the layers its modules may import. "root": the package itself (its version) and
# the standard-library-only modules every layer may use.
ROOT_MODULES = {"cnnstudio", "cnnstudio.resource_files"}
ALLOWED_LAYERS = {
    "root": {"root"},
    "core": {"root", "core"},
    "host": {"root", "core", "host"},
    "plugin_api": {"root", "core", "host", "plugin_api"},
    "app": {"root", "core", "host", "app"},
    "cli": {"root", "core", "host", "app", "cli"},
    "gui": {"root", "core", "host", "app", "gui"},
    "__main__": {"root", "cli"},
}
# The only imports across that line, each for a reason.
EXCEPTIONS = {
    # `cnnstudio gui` opens the desktop app: the CLI's one way into the GUI, imported when run.
    ("cnnstudio.cli.gui", "cnnstudio.gui.app"),
}
# Third-party top-level packages a layer must never import.
FORBIDDEN_PACKAGES = {
    "core": {"PySide6", "shiboken6", "pyqtgraph", "qtawesome", "qtpy", "pluggy"},
    "host": {"PySide6", "shiboken6", "pyqtgraph", "qtawesome", "qtpy"},
    "app": {"PySide6", "shiboken6", "pyqtgraph", "qtawesome", "qtpy"},
    "cli": {"PySide6", "shiboken6", "pyqtgraph", "qtawesome", "qtpy"},
}


def layer_of(module: str) -> str:
    if module in ROOT_MODULES:
        return "root"
    return module.split(".")[1]


def test_root_modules_import_only_the_standard_library_and_the_package():
    offenders = [f"{imp.source} imports {imp.target}" for imp in all_imports()
                 if imp.source in ROOT_MODULES and imp.target.split(".")[0] not in sys.stdlib_module_names
                 and imp.target != "cnnstudio"]
    assert not offenders, offenders


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted(name for name in own_modules() if layer_of(name) not in ALLOWED_LAYERS)
    assert not unknown, f"modules outside the layers (add the layer to docs/architecture.md and this test): {unknown}"


def test_every_import_between_layers_is_on_the_whitelist():
    offenders = [
        f"{imp.source} (line {imp.line}) imports {imp.target}"
        for imp in all_imports()
        if imp.target.split(".")[0] == "cnnstudio"
        and layer_of(imp.target) not in ALLOWED_LAYERS[layer_of(imp.source)]
        and not any(imp.source == source and imp.target.startswith(target) for source, target in EXCEPTIONS)
    ]
    assert not offenders, "imports against the layering:\n" + "\n".join(offenders)


def test_layers_stay_free_of_the_packages_above_them():
    offenders = [
        f"{imp.source} (line {imp.line}) imports {imp.target}"
        for imp in all_imports()
        if imp.target.split(".")[0] in FORBIDDEN_PACKAGES.get(layer_of(imp.source), set())
    ]
    assert not offenders, "\n".join(offenders)


def test_the_exceptions_are_still_needed():
    used = {(imp.source, imp.target) for imp in all_imports()}
    stale = [pair for pair in EXCEPTIONS if not any(s == pair[0] and t.startswith(pair[1]) for s, t in used)]
    assert not stale, f"remove these from EXCEPTIONS: {stale}"


def test_no_import_cycles_between_modules():
    found = cycles(runtime_graph())
    assert not found, "import cycles (function-level imports count):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_graph_reader_sees_imports_inside_functions_relative_ones_and_type_checking_blocks(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cnnstudio.gui.controller import StudioController\n"
        "def late():\n    from cnnstudio.app import runner\n"
        "    class Later:\n        def load(self):\n            from ...host import manager\n"
    )
    found = {(imp.target, imp.type_checking_only) for imp in imports_of(sample, "cnnstudio.core.report.sample")}
    assert ("cnnstudio.gui.controller", True) in found
    assert ("cnnstudio.app.runner", False) in found
    assert ("cnnstudio.host.manager", False) in found  # relative, inside a method
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_builtin_plugins_use_only_the_public_plugin_api():
    plugin_files = [path for path in (ROOT / "plugins").glob("*.py") if path.name != "__init__.py"]
    assert plugin_files, "the built-in plugins folder is empty"
    for path in plugin_files:
        for imp in imports_of(path, path.stem):
            if imp.target.split(".")[0] == "cnnstudio":
                assert imp.target == "cnnstudio.plugin_api", (
                    f"{path.name} imports {imp.target}; plugins may import only cnnstudio.plugin_api")


def test_importing_the_core_config_does_not_load_qt():
    code = ("import sys, cnnstudio.core.config, cnnstudio.core.train.trainer; "
            "print([m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'pluggy', 'cnnstudio.host'))])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
