"""Which heavy libraries a command imports (not how long it takes: timings stay in bench/end_to_end.py).

Each command runs in a fresh process and prints the heavy top-level packages
found in ``sys.modules`` when it returns: ``--help`` loads none of them,
``train`` loads torch but not the GUI stack, ONNX, TensorBoard (unless asked
for) or the libraries only some plugins and commands use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
GUI_STACK = ("PySide6", "shiboken6", "pyqtgraph", "qtawesome")
EXPORT_STACK = ("onnx", "onnxruntime", "onnxscript")
ELSEWHERE = ("tensorboard", "skimage", "scipy", "matplotlib", "torchmetrics", "pycocotools", "sklearn", "pandas")
HEAVY = ("torch", "torchvision", "numpy", *GUI_STACK, *EXPORT_STACK, *ELSEWHERE)
MARK = "IMPORTED:"


def imported_by(args: list[str], base: Path) -> set[str]:
    """The HEAVY packages loaded after ``cnnstudio ARGS`` ran in a fresh process (it must succeed)."""
    code = (
        "import sys\nfrom cnnstudio.cli.main import main\n"
        f"try:\n    code = main({args!r})\nexcept SystemExit as stop:\n    code = stop.code\n"
        f"print({MARK!r} + __import__('json').dumps(sorted({{n.split('.')[0] for n in sys.modules}} & {set(HEAVY)!r})))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "CNNSTUDIO_RUNS_DIR": str(base / "runs"), "CNNSTUDIO_CACHE_DIR": str(base / "cache"),
           "XDG_DATA_HOME": str(base / "data"), "XDG_STATE_HOME": str(base / "state"), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.run([sys.executable, "-c", code], cwd=base, env=env, capture_output=True, text=True,
                             timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    (line,) = [line for line in process.stdout.splitlines() if line.startswith(MARK)]
    return set(json.loads(line[len(MARK):]))


@pytest.fixture(scope="module", name="train_imports")
def train_imports_fixture(tmp_path_factory) -> set[str]:
    """What ``cnnstudio train`` on a small folder of PNGs (two classes, 16 px) imports."""
    base = tmp_path_factory.mktemp("train-imports")
    for label, colour in (("dark", (30, 30, 30)), ("light", (220, 220, 220))):
        (base / "photos" / label).mkdir(parents=True)
        for index in range(10):
            shade = tuple(channel + index for channel in colour)
            Image.new("RGB", (16, 16), shade).save(base / "photos" / label / f"{index}.png")
    return imported_by(["train", "--dataset", str(base / "photos"), "--epochs", "1", "--batch-size", "8",
                        "--threads", "1", "--device", "cpu", "--no-progress", "--out", str(base / "runs")], base)


def test_help_imports_none_of_the_heavy_libraries(tmp_path):
    assert imported_by(["--help"], tmp_path) == set()


def test_train_imports_torch_but_not_the_gui_export_or_optional_libraries(train_imports):
    assert "torch" in train_imports  # the check itself works
    assert train_imports.isdisjoint(GUI_STACK + EXPORT_STACK + ELSEWHERE), sorted(train_imports)


def test_train_on_a_folder_does_not_import_torchvision(train_imports):
    assert "torchvision" not in train_imports
