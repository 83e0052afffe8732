"""An installed wheel finds its bundled plugins and resources inside the wheel, not in a checkout.

The wheel is built from a copy of the source tree (so the build leaves no
``build/`` folder in the repository), unzipped, and used from a subprocess
with ``-P`` and PYTHONPATH set to the unzipped folder only. The venv's
editable install of cnnstudio does not hijack the import: its finder is
appended to ``sys.meta_path`` after the normal path finder, so PYTHONPATH
wins; the test checks ``cnnstudio.__file__`` to prove it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
import cnnstudio
from cnnstudio.host.manager import StudioPluginManager, bundled_plugins_dir
manager = StudioPluginManager(entry_points=False, folders=[])
print(json.dumps({
    "package": cnnstudio.__file__,
    "bundled_dir": str(bundled_plugins_dir()),
    "plugins": {r.name: r.location for r in manager.plugins if r.origin == "builtin"},
    "failures": {f.plugin: f.location for f in manager.failures},
    "resources": str(__import__("cnnstudio.resource_files").resource_files.resource_path("palette.toml")),
}))
"""


@pytest.fixture(scope="module")
def unzipped_wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("cnnstudio", "plugins", "resources"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", source)
    readme = REPO / "README.md"
    (source / "README.md").write_text(readme.read_text() if readme.exists() else "CNN Studio\n")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(work / "dist")],
        capture_output=True, text=True, timeout=240,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (work / "dist").glob("cnnstudio-*.whl")
    target = work / "unzipped"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_wheel_finds_bundled_plugins_inside_the_wheel(unzipped_wheel, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=str(unzipped_wheel), XDG_DATA_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-P", "-c", SCRIPT], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["package"]).is_relative_to(unzipped_wheel)
    assert Path(result["bundled_dir"]) == unzipped_wheel / "cnnstudio" / "bundled_plugins"
    checkout = {p.stem for p in (REPO / "plugins").glob("*.py") if not p.name.startswith("_")}
    assert checkout, "the checkout has no bundled plugins to look for"
    found = {**result["failures"], **result["plugins"]}
    assert checkout <= set(found), f"not found in the wheel: {checkout - set(found)}"
    for name in checkout:
        assert Path(found[name]).is_relative_to(unzipped_wheel / "cnnstudio" / "bundled_plugins")
    assert Path(result["resources"]) == unzipped_wheel / "cnnstudio" / "resources" / "palette.toml"


def test_bare_source_checkout_without_install_finds_the_plugins_folder(tmp_path):
    import sysconfig

    # -S skips site (and so the editable install's finder); site-packages is
    # added back after the checkout for pluggy and platformdirs.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]]),
               XDG_DATA_HOME=str(tmp_path))
    check = SCRIPT + "import sys; assert '__editable___cnnstudio_0_1_0_finder' not in sys.modules\n"
    done = subprocess.run([sys.executable, "-S", "-P", "-c", check], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[0])
    assert Path(result["bundled_dir"]) == REPO / "plugins"
    checkout = {p.stem for p in (REPO / "plugins").glob("*.py") if not p.name.startswith("_")}
    assert checkout <= set(result["plugins"]) | set(result["failures"])
