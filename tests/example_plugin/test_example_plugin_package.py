"""The example plugin package in docs/examples/ works the way a person would use it.

It is pip-installed (``--target``, from a copy so the build leaves nothing in
the repository) into a temporary folder, then CNN Studio runs in a subprocess
with PYTHONPATH pointing at that folder: the plugin is found through its
``cnnstudio`` entry point, its dataset trains with the default head and with
its own head chosen by ``--head``, and the trained run predicts an image.
The user folders and runs dir are the temporary ones of tests/conftest.py
(the subprocess inherits the environment).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "docs" / "examples" / "cnnstudio-stripes"
TRAIN = ["train", "--dataset", "example.stripes", "--preset", "seed", "--epochs", "2",
         "--option", "count=120", "--threads", "1", "--no-progress", "--json"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A folder holding the pip-installed example package (and its .dist-info)."""
    work = tmp_path_factory.mktemp("example-plugin")
    source = work / "source"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info"))
    target = work / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--no-cache-dir", "--disable-pip-version-check", "-q", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def studio(installed: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m cnnstudio ARGS`` with the installed example package importable."""
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run([sys.executable, "-m", "cnnstudio", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pip_install_writes_the_cnnstudio_entry_point(installed):
    [dist_info] = installed.glob("cnnstudio_stripes-*.dist-info")
    assert (dist_info / "entry_points.txt").read_text().split() == ["[cnnstudio]", "stripes", "=", "cnnstudio_stripes"]


def test_installed_plugin_is_listed_with_entry_point_origin_and_its_contributions(installed, tmp_path):
    listing = last_json(studio(installed, "plugins", "--json", cwd=tmp_path))
    [plugin] = [p for p in listing["plugins"] if p["name"] == "stripes"]
    assert plugin["origin"] == "entry point"
    assert plugin["version"] == "0.1.0"
    assert plugin["status"] == "ok"
    assert plugin["datasets"] == ["example.stripes"]
    assert plugin["heads"] == ["example.avgpool_linear"]
    assert [f for f in listing["failures"] if f["plugin"] == "stripes"] == []


def test_example_dataset_trains_end_to_end_with_the_default_head(installed, tmp_path):
    summary = last_json(studio(installed, *TRAIN, "--out", str(tmp_path / "runs"), cwd=tmp_path))
    run_dir = Path(summary["run_dir"])
    assert run_dir.parent == tmp_path / "runs"
    assert summary["reason"] == "completed" and summary["epochs"] == 2
    info = json.loads((run_dir / "run.json").read_text())
    assert (info["dataset_id"], info["head_id"]) == ("example.stripes", "classification")
    assert info["dataset_options"]["count"] == 120
    assert "head.fc.weight" in load_file(run_dir / "weights" / "best.safetensors")


def test_example_head_trains_with_the_head_flag_and_its_run_predicts_an_image(installed, tmp_path):
    summary = last_json(studio(installed, *TRAIN, "--head", "example.avgpool_linear",
                               "--out", str(tmp_path / "runs"), cwd=tmp_path))
    run_dir = Path(summary["run_dir"])
    info = json.loads((run_dir / "run.json").read_text())
    assert info["head_id"] == "example.avgpool_linear"
    weights = load_file(run_dir / "weights" / "best.safetensors")
    assert sorted(k for k in weights if k.startswith("head.")) == ["head.fc.bias", "head.fc.weight"]
    assert weights["head.fc.weight"].shape[0] == 2

    from PIL import Image

    stripes = Image.new("RGB", (32, 32))
    stripes.putdata([(200, 200, 200) if (y // 3) % 2 else (20, 20, 20) for y in range(32) for x in range(32)])
    stripes.save(tmp_path / "stripes.png")
    predicted = last_json(studio(installed, "predict", "--json", str(run_dir), str(tmp_path / "stripes.png"), cwd=tmp_path))
    [entry] = predicted["predictions"]
    assert entry["class"] in ("horizontal", "vertical")
    assert sorted(entry["probabilities"]) == ["horizontal", "vertical"]
    assert sum(entry["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_example_plugin_imports_only_the_plugin_api_and_registers_without_torch(installed, tmp_path):
    for path in (PACKAGE / "cnnstudio_stripes").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert [n for n in names if n.startswith("cnnstudio.") or n == "cnnstudio"] in (
                [], ["cnnstudio.plugin_api"]), f"{path.name} imports {names}"
    code = ("import sys, cnnstudio_stripes as p; p.cnnstudio_datasets(); p.cnnstudio_heads(); "
            "print('torch' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(installed))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
