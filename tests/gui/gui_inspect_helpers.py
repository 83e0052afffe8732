"""Helpers for the GUI-INSPECT tests: tiny runs trained once per test module (in-process), shown views, predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cnnstudio.core.config import ConvLayer, DatasetConfig, ModelConfig, RunConfig, TrainingConfig

TINY_DATASETS = {
    "retail.products": {"count": 120, "size": 16},
    "manufacturing.surfaces": {"count": 120, "size": 16},
}


def tiny_config(dataset: str) -> RunConfig:
    """input 16 px, two conv layers (4 and 6 filters), one epoch, one thread."""
    return RunConfig(
        dataset=DatasetConfig(dataset, dict(TINY_DATASETS[dataset])),
        model=ModelConfig(preset="tiny", input_size=16, conv_layers=[ConvLayer(4, pool=True), ConvLayer(6, pool=True)]),
        training=TrainingConfig(epochs=1, batch_size=32),
        threads=1,
    )


def train_tiny(dataset: str, runs_root: Path) -> tuple[Path, list]:
    """Train the tiny config of ``dataset`` under ``runs_root``; (run folder, the events it emitted)."""
    from cnnstudio.app.runner import train_run

    events: list = []
    finished = train_run(tiny_config(dataset), runs_root=runs_root, observers=[events.append])
    return Path(finished.run_dir), events


def write_png(path: Path, size: tuple[int, int] = (40, 24), seed: int = 0) -> Path:
    """A random RGB PNG written by Pillow (not square, so the 'pad' policy letterboxes it)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def shown_view(qtbot, view_class, controller, size: tuple[int, int]):
    """A ``view_class(controller)`` widget, shown at ``size`` (width, height) and closed with the test."""
    widget = view_class(controller)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    return widget


def predict(qtbot, view, path: Path) -> dict:
    """The entry a PredictView emits once it has predicted the file at ``path``."""
    with qtbot.waitSignal(view.predicted, timeout=30_000) as blocker:
        view.predict_file(path)
    return blocker.args[0]
