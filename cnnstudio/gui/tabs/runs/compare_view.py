"""CompareView: several runs side by side: overlaid curves, the config fields that differ, final metrics.

It draws a ``cnnstudio.core.evaluate.compare.Comparison`` (computed on a worker by
the Runs tab): the loss plot has each run's train loss dashed and validation
loss solid, the accuracy plot each run's validation accuracy, one colour per
run (its legend names the run by what differs). Below, the differences table
(one row per differing field, one column per run) and the final-metrics table
(the best run's cell in bold).

pyqtgraph takes about a second to import, so the Runs tab imports this module
only when a comparison is first shown.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.evaluate.compare import best_index, headline, metric_rows, metric_text, value_text
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.curves import epoch_plot, fit_legend

# One colour per run (tab10 without the greys), cycled when more runs are compared.
RUN_COLOURS = palette.SERIES
LOSS_TIP = ("Loss per epoch of every compared run, one colour per run: dashed is the training split, solid the "
            "validation split. A run whose solid line ends lower generalises better; a dashed line far below its "
            "solid one is memorising its training images.")
ACCURACY_TIP = ("Validation accuracy per epoch of every compared run, one colour per run: the share of held-out "
                "images classified right. Differences of one or two images are chance on a small validation split.")
DIFF_TIP = ("Only the config fields whose values differ between the runs: everything else was the same, so these "
            "fields explain any difference in the curves and the metrics.")
METRICS_TIP = ("Each run's final figures: the validation scores of its best epoch (the weights it kept), the test "
               "split's if it has one, epochs and training time. The best value of each row is bold.")


MAX_EPOCH_TICKS = 20  # up to this many epochs, every epoch gets a tick
MAX_TABLE_HEIGHT = 320  # pixels; a longer table scrolls


def run_colour(index: int) -> str:
    """The colour of the ``index``-th compared run, in the plots and the tables' headers."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


class CompareView(QWidget):
    """Overlaid loss and accuracy curves and two tables for a Comparison (``show_comparison``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison: Any = None
        self.headline = QLabel("Select two or more runs and press Compare.")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss_plot = epoch_plot("Loss (dashed: train, solid: validation)", "loss", LOSS_TIP, legend_offset=(-8, 8))
        self.accuracy_plot = epoch_plot("Validation accuracy", "accuracy", ACCURACY_TIP, legend_offset=(-8, -8))
        self.accuracy_plot.setYRange(0, 1.02, padding=0)
        self.differences_table = _table(DIFF_TIP)
        self.metrics_table = _table(METRICS_TIP)
        self.differences_title = QLabel("<b>Config differences</b>")
        self.items: dict[tuple[int, str], Any] = {}  # (run index, metric) -> the curve drawn

        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.accuracy_plot)
        plots_widget = QWidget()
        plots_widget.setLayout(plots)
        tables = QHBoxLayout()
        tables.setContentsMargins(0, 0, 0, 0)
        for title, table in ((self.differences_title, self.differences_table),
                             (QLabel("<b>Final metrics</b>"), self.metrics_table)):
            column = QVBoxLayout()
            column.addWidget(title)
            column.addWidget(table, 1)
            tables.addLayout(column, 1)
        tables_widget = QWidget()
        tables_widget.setLayout(tables)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(plots_widget)
        splitter.addWidget(tables_widget)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(splitter, 1)

    # ---- drawing ----------------------------------------------------------------------
    def show_comparison(self, comparison: Any) -> None:
        """Draw ``comparison`` (a ``cnnstudio.core.evaluate.compare.Comparison``), replacing what is shown."""
        self.comparison = comparison
        runs = comparison.runs
        text = headline(comparison)
        if comparison.unreadable:
            text += " Left out: " + "; ".join(reason for _, reason in comparison.unreadable)
        self.headline.setText(text)
        self._draw_curves(runs)
        differences = comparison.differences
        self.differences_title.setText(f"<b>Config differences</b> ({len(differences)} field"
                                       f"{'' if len(differences) == 1 else 's'})" if differences
                                       else "<b>Config differences</b>: none, the configs are identical")
        self._fill(self.differences_table, runs, "field",
                   [(d.field, [value_text(v) for v in d.values], None) for d in differences])
        self._fill(self.metrics_table, runs, "metric",
                   [(row.name, [metric_text(v) for v in row.values], best_index(row)) for row in metric_rows(comparison)])

    def _draw_curves(self, runs: list[Any]) -> None:
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.clear()  # also empties the legend
        self.items.clear()
        last_epoch = 1
        for index, run in enumerate(runs):
            colour = run_colour(index)
            for metric, plot, dashed, legend in (("loss", self.loss_plot, True, None),
                                                 ("val_loss", self.loss_plot, False, run.label),
                                                 ("val_accuracy", self.accuracy_plot, False, run.label)):
                points = run.curve(metric)
                style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
                item = plot.plot([p[0] for p in points], [p[1] for p in points],
                                 pen=pg.mkPen(colour, width=2, style=style), symbol=None if dashed else "o",
                                 symbolSize=6, symbolBrush=colour, symbolPen=None, name=legend, antialias=True)
                self.items[(index, metric)] = item
                last_epoch = max([last_epoch, *(p[0] for p in points)])
        # Whole epochs on the x axis while they fit; pyqtgraph's own ticks beyond that.
        ticks = [[(e, str(e)) for e in range(1, last_epoch + 1)]] if last_epoch <= MAX_EPOCH_TICKS else None
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0.8, last_epoch + 0.2, padding=0)
            plot.getAxis("bottom").setTicks(ticks)
            fit_legend(plot)  # run labels make a wide legend: the plot keeps room for it
        self.loss_plot.enableAutoRange(axis="y")

    def _fill(self, table: QTableWidget, runs: list[Any], first: str,
              rows: list[tuple[str, list[str], int | None]]) -> None:
        table.clear()
        table.setColumnCount(1 + len(runs))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderItem(0, QTableWidgetItem(first))
        for index, run in enumerate(runs):
            header = QTableWidgetItem(run.label)
            header.setForeground(pg.mkColor(run_colour(index)))
            header.setToolTip(f"{run.name}\n{run.path}")
            table.setHorizontalHeaderItem(1 + index, header)
        bold = QFont(table.font())
        bold.setBold(True)
        for row, (name, values, best) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(name))
            for index, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if best == index:
                    item.setFont(bold)
                table.setItem(row, 1 + index, item)
        table.resizeColumnsToContents()
        # Tall enough for every row, so the plots give way rather than the tables scrolling.
        rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setMinimumHeight(min(MAX_TABLE_HEIGHT, table.horizontalHeader().height() + rows_height + 2 * table.frameWidth() + 2))

    # ---- reading back (tests, the report) -------------------------------------------
    def curve_points(self, run_index: int, metric: str) -> list[tuple[float, float]]:
        """The (epoch, value) points drawn for run ``run_index``'s ``metric`` ("loss", "val_loss", "val_accuracy")."""
        item = self.items.get((run_index, metric))
        if item is None:
            return []
        xs, ys = item.getData()
        return [] if xs is None else list(zip(map(float, xs), map(float, ys)))

    def table_text(self, which: str = "differences") -> list[list[str]]:
        """The cells of the "differences" or "metrics" table, with the header as the first row."""
        table = self.differences_table if which == "differences" else self.metrics_table
        header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        cells = [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
                 for r in range(table.rowCount())]
        return [header, *cells]


def _table(tip: str) -> QTableWidget:
    table = QTableWidget(0, 0)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.setToolTip(tip)
    table.setMinimumHeight(90)
    return table
