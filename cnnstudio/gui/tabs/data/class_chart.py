"""ClassChart: how many images each class has, as bars, with a warning when the classes are unequal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from cnnstudio.core.data.imbalance import IMBALANCE_RATIO, imbalance_advice
from cnnstudio.gui.widgets import palette

BAR_BRUSH = (70, 130, 200)
CHART_TOOLTIP = (
    "Images per class in the whole dataset. When one class is much larger, a model can score a high "
    "accuracy by always answering it; the validation split keeps the same proportions."
)


def imbalance_warning(counts: Sequence[int], class_names: Sequence[str], training: Any) -> str:
    """The warning for unequal classes ('' when they are balanced enough), in the core advice's words."""
    present = [(count, name) for count, name in zip(counts, class_names) if count > 0]
    if len(present) < 2:
        return ""
    (small, small_name), (large, large_name) = min(present), max(present)
    if large / small < IMBALANCE_RATIO:
        return ""
    weighted = bool(getattr(training, "class_balanced_loss", False))
    sampled = bool(getattr(training, "balanced_sampling", False))
    advice = imbalance_advice(counts, class_names, weighted, sampled)
    if advice:
        return advice
    fix = "training.class_balanced_loss" if weighted else "training.balanced_sampling"
    return (
        f"Imbalanced classes: {int(large)} '{large_name}' images but only {int(small)} '{small_name}' "
        f"({large / small:.1f} to 1). {fix} is on, so the rare class still counts in training; "
        f"judge the model by recall, F1 and AUC rather than accuracy."
    )


class ClassChart(QWidget):
    """A bar per class (class names on the x axis) and the imbalance warning under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot: Any = None  # made with the first counts: importing pyqtgraph would slow the window's start
        self.bars: Any = None
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {palette.CAUTION_TEXT}; background: {palette.CAUTION_BACKGROUND}; padding: 4px; border-radius: 3px;")
        self.warning.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.warning.hide()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.warning)
        self.class_names: list[str] = []
        self.counts: list[int] = []
        self.labels: list[Any] = []

    def _ensure_plot(self) -> None:
        if self.plot is not None:
            return
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(background="w")
        self.plot.setToolTip(CHART_TOOLTIP)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("left", "images")
        self.plot.showGrid(y=True, alpha=0.3)
        self.plot.setMinimumHeight(160)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=BAR_BRUSH)
        self.plot.addItem(self.bars)
        self.layout_.insertWidget(0, self.plot, 1)

    def set_counts(self, class_names: Sequence[str], counts: Sequence[int], training: Any = None) -> None:
        """Show ``counts`` (one per class) and warn when the largest class dwarfs the smallest."""
        import pyqtgraph as pg

        self._ensure_plot()
        self.class_names, self.counts = [str(name) for name in class_names], [int(c) for c in counts]
        positions = list(range(len(self.counts)))
        self.bars.setOpts(x=positions, height=self.counts, width=0.6, brush=BAR_BRUSH)
        self.plot.getAxis("bottom").setTicks([list(enumerate(self.class_names))])
        top = max(self.counts, default=1) or 1
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        for position, count in zip(positions, self.counts):  # the exact count above each bar
            label = pg.TextItem(f"{count:,}", color=(40, 40, 40), anchor=(0.5, 1.0))
            label.setPos(position, count)
            self.plot.addItem(label)
            self.labels.append(label)
        self.plot.setXRange(-0.6, max(len(self.counts) - 0.4, 0.6), padding=0)
        self.plot.setYRange(0, top * 1.15, padding=0)
        self.refresh_warning(training)

    def refresh_warning(self, training: Any) -> None:
        """Re-word the warning for the training settings (a balanced loss changes the advice)."""
        text = imbalance_warning(self.counts, self.class_names, training)
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def heights(self) -> list[float]:
        """The bars' heights as drawn."""
        if self.bars is None:
            return []
        return [float(h) for h in self.bars.opts["height"]]
