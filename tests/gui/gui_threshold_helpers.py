"""Helpers for the GUI-THRESHOLD tests: tiny runs trained through the CLI, and the view opened on one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_runs import train_tiny_run


def train_with_cli(base: Path, dataset: str) -> Path:
    """Train 160 images of 32 px of ``dataset`` (its default head), one epoch, with `cnnstudio train`; the run folder."""
    return train_tiny_run(base, dataset, seed=1, count=160, size=32)


def open_view(qtbot: Any, controller: Any, run: Path) -> Any:
    """A shown ThresholdView on ``run``, after its validation evaluation has arrived."""
    from cnnstudio.gui.tabs.threshold.threshold_view import ThresholdView

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
