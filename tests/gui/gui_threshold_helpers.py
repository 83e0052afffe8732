"""Helpers for the GUI-THRESHOLD tests: tiny runs trained through the CLI, and the view opened on one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TINY_CONFIG = """\
seed = 1
device = "cpu"
threads = 1

[dataset]
options = { count = 160, size = 32 }

[model]
input_size = 32
conv_layers = [ { out_channels = 8, pool = true }, { out_channels = 16, pool = true } ]

[training]
epochs = 1
batch_size = 16
test_fraction = 0.1
"""


def train_with_cli(base: Path, dataset: str) -> Path:
    """Train the tiny config on ``dataset`` (its default head) with `cnnstudio train`; the run folder."""
    from cnnstudio.cli import main

    config = base / "tiny.toml"
    config.write_text(TINY_CONFIG, encoding="utf-8")
    out = base / "runs"
    assert main(["train", "--config", str(config), "--dataset", dataset, "--out", str(out), "--no-progress"]) == 0
    (run,) = list(out.iterdir())
    return run


def open_view(qtbot: Any, controller: Any, run: Path) -> Any:
    """A shown ThresholdView on ``run``, after its validation evaluation has arrived."""
    from cnnstudio.gui.threshold_view import ThresholdView

    view = ThresholdView(controller)
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    with qtbot.waitSignal(controller.evaluations.ready, timeout=120_000):
        controller.run_opened.emit(str(run))
    qtbot.waitUntil(lambda: view.scores is not None, timeout=10_000)
    return view


def shown_counts(view: Any) -> dict[str, int]:
    """The four cells of the view's confusion matrix, as a person reads them."""
    return {name: view.counts_panel.count(name) for name in ("tn", "fp", "fn", "tp")}


def validation_predictions(run: Path) -> tuple[list[dict], np.ndarray]:
    """What `cnnstudio predict` decides for each validation image, and whether each is truly not class 0."""
    from cnnstudio.core.evaluation import split_indices
    from cnnstudio.runner import load_run_model, prepare

    model = load_run_model(run)
    _, imageset, _ = prepare(model.config)
    indices = split_indices(model.config.training, model.config.seed, imageset.labels, "val")
    subset = imageset.subset(indices)
    return model.predict_images(subset.images), subset.labels.numpy() != 0
