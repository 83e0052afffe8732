"""Live training curves: loss and accuracy, per epoch (train and validation) and per batch (smoothed).

Two pyqtgraph plots share one x axis in epochs: epoch ``e`` is drawn at
``x = e``, batch ``b`` of ``n`` in epoch ``e`` at ``x = e - 1 + b / n``, so the
batch curve runs underneath the epoch points it adds up to. Every point is kept
for the whole run; plots are redrawn on a timer, not per event, so a fast
run cannot flood the GUI thread: a new epoch shows within REDRAW_MS, new
batches only every BATCH_REDRAW_MS (each redraw repaints both plots, 10-30 ms
of the GUI thread), and nothing is redrawn while the panel is hidden (it
catches up when shown); the two plots are redrawn in separate turns of the event
loop. The best epoch is a dashed vertical line.

pyqtgraph takes about a second to import, so this module is imported after the
window is shown (``cnnstudio.gui.tabs.train.train_view`` does it lazily).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QWidget

from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.plot_fit import fit_plot_minimum

SMOOTHING = 0.8  # weight of the running average in the batch curves' moving average
REDRAW_MS = 400  # a new epoch point shows this soon; each redraw repaints both plots (~10-30 ms on 2 cores)
BATCH_REDRAW_MS = 3000  # batch points alone: they arrive several times an epoch, a redraw each would stutter
SECOND_PLOT_MS = 30  # the accuracy plot is redrawn this long after the loss plot, not in the same turn

# Epoch curves: metric name -> (legend label, colour, dashed); a head's extra scores share the accuracy plot.
EPOCH_STYLE = {
    "loss": ("train", palette.BLUE, False),
    "val_loss": ("validation", palette.RED, False),
    "accuracy": ("train", palette.BLUE, False),
    "val_accuracy": ("validation", palette.RED, False),
    "val_auc": ("validation AUC", palette.GREEN, True),
    "val_f1": ("validation F1", palette.PURPLE, True),
    "val_macro_f1": ("validation macro F1", palette.PURPLE, True),
    "val_ap50": ("validation AP50", palette.GREEN, True),
    "val_iou": ("validation IoU", palette.BROWN, True),
    "val_miou": ("validation mean IoU", palette.BROWN, True),
}
CORE_CURVES = ("loss", "val_loss", "accuracy", "val_accuracy")
PLOT_FLOOR = (190, 160)  # two side by side, beside the settings, fit a 1024 x 700 screen; a wide legend raises it
LOSS_TIP = (
    "Loss: how wrong the model is, lower is better. The blue line is the training split, the red one the "
    "validation split (images the model never trains on). The thin grey line is the per-batch loss, smoothed."
)
ACCURACY_TIP = (
    "Accuracy: the share of images classified right. When training accuracy keeps rising while validation "
    "accuracy stalls or falls, the model is memorising its training images (over-fitting). The dashed vertical "
    "line marks the best epoch, whose weights are kept."
)


class CurvesPanel(QWidget):
    """Loss and accuracy plots fed with trainer events (or a past run's metrics.jsonl records)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Loss usually falls and accuracy rises: their legends go where the curves are not.
        self.loss_plot = epoch_plot("Loss", "loss", LOSS_TIP, legend_offset=(-8, 8))
        self.accuracy_plot = epoch_plot("Accuracy", "accuracy", ACCURACY_TIP, legend_offset=(-8, -8))
        self.accuracy_plot.setYRange(0, 1.02, padding=0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)

        # Everything received, kept for the whole run.
        self.epochs: list[int] = []
        self.epoch_values: dict[str, list[tuple[int, float]]] = {}
        self.batch_x: list[float] = []
        self.batch_values: dict[str, list[float]] = {"loss": [], "accuracy": []}
        self.batch_smoothed: dict[str, list[float]] = {"loss": [], "accuracy": []}
        self.best_epoch = 0

        self.epoch_items: dict[str, Any] = {}
        self.batch_raw_items: dict[str, Any] = {}
        self.batch_smooth_items: dict[str, Any] = {}
        for name, plot in (("loss", self.loss_plot), ("accuracy", self.accuracy_plot)):
            self.batch_raw_items[name] = plot.plot(
                [], [], pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush=pg.mkBrush(110, 110, 110, 110),
                antialias=False,
            )
            self.batch_smooth_items[name] = plot.plot([], [], pen=pg.mkPen(110, 110, 110, width=1), name="per batch",
                antialias=False,  # thousands of points: an antialiased path costs ~100x more to paint
            )
        # The loss legend sits top right, so that plot's "best" label goes halfway down.
        self.best_lines = [
            pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(palette.HIGHLIGHT, width=1.5, style=Qt.PenStyle.DashLine),
                            label="best", labelOpts={"position": position, "color": palette.HIGHLIGHT, "anchors": [(1, 0), (1, 0)]})
            for position in (0.5, 0.96)
        ]
        for name in CORE_CURVES:  # made up front: adding an item later re-lays out the legend mid-run
            self._epoch_item(name)
        for line, plot in zip(self.best_lines, (self.loss_plot, self.accuracy_plot)):
            line.setVisible(False)
            plot.addItem(line)
            fit_legend(plot)

        # The plots ("loss", "accuracy") with points not drawn yet.
        self._dirty_batches: set[str] = set()
        self._dirty_epochs: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

    # ---- feeding ------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every point (a new run starts, or another run is opened)."""
        self.epochs.clear()
        self.epoch_values.clear()
        self.batch_x.clear()
        for values in (*self.batch_values.values(), *self.batch_smoothed.values()):
            values.clear()
        self.best_epoch = 0
        for name in [n for n in self.epoch_items if n not in CORE_CURVES]:  # a head's scores: gone with its run
            item = self.epoch_items.pop(name)
            (self.loss_plot if _plot_of(name) == "loss" else self.accuracy_plot).removeItem(item)
        fit_legend(self.accuracy_plot)
        self._dirty_batches, self._dirty_epochs = {"loss", "accuracy"}, {"loss", "accuracy"}
        self.flush()
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.enableAutoRange(axis="x")

    def set_epoch_span(self, first: int, last: int) -> None:
        """Fix the x axis to the run's epochs, so it does not re-scale (and re-draw its ticks) as points arrive."""
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(max(0, first - 1), max(last, first), padding=0.03)

    def add_batch(self, epoch: int, batch: int, num_batches: int, loss: float, accuracy: float) -> None:
        """One BatchEnded: a raw point and the next value of the moving average, for loss and accuracy."""
        self.batch_x.append(epoch - 1 + batch / max(1, num_batches))
        for name, value in (("loss", loss), ("accuracy", accuracy)):
            smoothed = self.batch_smoothed[name]
            previous = smoothed[-1] if smoothed else value
            self.batch_values[name].append(value)
            smoothed.append(SMOOTHING * previous + (1 - SMOOTHING) * value)
        self._dirty_batches = {"loss", "accuracy"}
        self._changed(BATCH_REDRAW_MS)

    def add_epoch(self, epoch: int, metrics: dict[str, float], is_best: bool) -> None:
        """One EpochEnded (or a metrics.jsonl line): a point on every curve it has a value for."""
        self.epochs.append(epoch)
        for name in EPOCH_STYLE:
            value = metrics.get(name)
            if isinstance(value, (int, float)) and value == value:  # NaN stays off the plot
                self.epoch_values.setdefault(name, []).append((epoch, float(value)))
        if is_best:
            self.best_epoch = epoch
        self._dirty_epochs = {"loss", "accuracy"}
        self._changed(REDRAW_MS)

    def load_records(self, records: list[dict[str, Any]]) -> None:
        """Show a past run: its metrics.jsonl records (one per epoch), replacing what is shown."""
        self.clear()
        for record in records:
            metrics = record.get("metrics")
            if isinstance(metrics, dict) and isinstance(record.get("epoch"), int):
                self.add_epoch(record["epoch"], metrics, bool(record.get("is_best")))
        self.flush()

    # ---- drawing ------------------------------------------------------------------
    def _changed(self, within_ms: int) -> None:
        """Redraw within ``within_ms`` (sooner if a redraw is already due sooner)."""
        if not self._timer.isActive() or self._timer.remainingTime() > within_ms:
            self._timer.start(within_ms)

    def _on_timer(self) -> None:
        # One plot per turn of the event loop: each repaint is half the time the GUI thread is away.
        if self.isVisible():  # hidden: drawn when shown (showEvent)
            self.flush("loss")
            QTimer.singleShot(SECOND_PLOT_MS, self._draw_accuracy)

    def _draw_accuracy(self) -> None:
        if self.isVisible():
            self.flush("accuracy")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._dirty_batches or self._dirty_epochs:
            QTimer.singleShot(0, self.flush)

    def flush(self, plot: str = "") -> None:
        """Redraw now with everything received: both plots, or only the "loss" or "accuracy" one (tests may call it)."""
        names = {plot} if plot else {"loss", "accuracy"}
        if not plot:
            self._timer.stop()
        for name in sorted(names & self._dirty_batches):  # only what changed: each setData re-lays out that curve
            self.batch_raw_items[name].setData(self.batch_x, self.batch_values[name])
            self.batch_smooth_items[name].setData(self.batch_x, self.batch_smoothed[name])
        self._dirty_batches -= names
        if not names & self._dirty_epochs:
            return
        self._dirty_epochs -= names
        for name in self.epoch_values.keys() - self.epoch_items.keys():
            if _plot_of(name) in names:
                self._epoch_item(name)
        for name, item in self.epoch_items.items():
            if _plot_of(name) in names:
                points = self.epoch_values.get(name, [])
                item.setData([p[0] for p in points], [p[1] for p in points])
        for line, name in zip(self.best_lines, ("loss", "accuracy")):
            if name in names:
                line.setVisible(self.best_epoch > 0)
                line.setValue(self.best_epoch)

    def _epoch_item(self, name: str) -> Any:
        label, colour, dashed = EPOCH_STYLE[name]
        plot = self.loss_plot if _plot_of(name) == "loss" else self.accuracy_plot
        pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        item = plot.plot([], [], pen=pen, symbol="o", symbolSize=6, symbolBrush=colour, symbolPen=None, name=label,
                         antialias=True)
        self.epoch_items[name] = item
        fit_legend(plot)
        return item

    # ---- reading back ------------------------------------------------------------
    def epoch_points(self, name: str) -> list[tuple[float, float]]:
        """The (x, y) points drawn for an epoch curve ("loss", "val_accuracy", ...)."""
        item = self.epoch_items.get(name)
        return [] if item is None else _points(item)

    def batch_points(self, name: str, smoothed: bool = True) -> list[tuple[float, float]]:
        """The (x, y) points drawn for the per-batch "loss" or "accuracy" curve."""
        return _points((self.batch_smooth_items if smoothed else self.batch_raw_items)[name])


def epoch_plot(title: str, y_label: str, tip: str, legend_offset: tuple[int, int]) -> pg.PlotWidget:
    """A white per-epoch plot in the app's style (grid, legend, x-only zoom), used by the Train and Compare views."""
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color=palette.TEXT, size="11pt")
    plot.setLabel("bottom", "epoch", color=palette.AXIS_TEXT)
    plot.setLabel("left", y_label, color=palette.AXIS_TEXT)
    plot.showGrid(x=True, y=True, alpha=0.25)
    for axis in ("bottom", "left"):
        plot.getAxis(axis).setTextPen(palette.AXIS_TEXT)
        plot.getAxis(axis).setPen(palette.AXIS_LINE)
        plot.getAxis(axis).enableAutoSIPrefix(False)  # "loss (x0.001)" reads worse than 0.65
        # Major and minor ticks and grid lines, not the finest level: that one doubles the cost of a redraw.
        plot.getAxis(axis).setStyle(maxTickLevel=1)
    plot.getPlotItem().vb.setDefaultPadding(0.04)
    # Display only: long runs are drawn decimated to the pixels available; the data keeps every point.
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    legend = plot.addLegend(offset=legend_offset, labelTextColor=palette.TEXT, brush=pg.mkBrush(255, 255, 255, 200))
    legend.setParentItem(plot.getPlotItem().vb)
    plot.setMouseEnabled(x=True, y=False)
    plot.setMinimumSize(*PLOT_FLOOR)
    plot.setToolTip(tip)
    return plot


def fit_legend(plot: pg.PlotWidget) -> None:
    """Make ``plot`` at least wide and tall enough for its legend (it is cut off otherwise)."""
    fit_plot_minimum(plot, PLOT_FLOOR, plot.getPlotItem().legend)


def _plot_of(name: str) -> str:
    """The plot ("loss" or "accuracy") an epoch curve is drawn on."""
    return "loss" if name.endswith("loss") else "accuracy"


def _points(item: Any) -> list[tuple[float, float]]:
    xs, ys = item.getData()
    if xs is None:
        return []
    return list(zip(map(float, xs), map(float, ys)))
