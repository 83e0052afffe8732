"""Every tab fits a 1024 x 700 screen whole, with a trained run loaded, and no tab widens a 1280 px window by itself."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from gui_evaluate_helpers import wait_for_evaluation
from gui_inspect_helpers import write_png
from gui_threshold_helpers import train_with_cli
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

SMALL_SCREEN = QSize(1024, 700)
WIDE = QSize(1280, 820)
LOAD_MS = 120_000


def settle() -> None:
    """Let Qt finish the layouts that showing a tab or new content asked for."""
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QApplication.processEvents()


def open_tab(qtbot, window, page: QWidget) -> None:
    """Click ``page``'s tab, as a person does."""
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(window.tabs.indexOf(page)).center())
    qtbot.waitUntil(page.isVisible)


def cut_labels(root: QWidget) -> list[str]:
    """Visible one-line labels narrower than their text (a wrapped label breaks its lines instead)."""
    return [f"{label.text()[:50]!r}: {label.width()} px < {label.sizeHint().width()} px"
            for label in root.findChildren(QLabel)
            if label.isVisible() and label.text() and not label.wordWrap() and label.pixmap().isNull()
            and label.width() < label.sizeHint().width()]


def cut_plots(root: QWidget) -> list[str]:
    """Visible plots smaller than their title, axes and legend need (pyqtgraph cuts them off at the edge)."""
    cut = []
    for plot in root.findChildren(pg.PlotWidget):
        needed = plot.getPlotItem().effectiveSizeHint(Qt.SizeHint.MinimumSize)
        if plot.isVisible() and (plot.width() < needed.width() or plot.width() < plot.minimumWidth()
                                 or plot.height() < plot.minimumHeight()):
            cut.append(f"{plot.getPlotItem().titleLabel.text!r}: {plot.size()} < {plot.minimumSize()}")
    return cut


@pytest.fixture
def loaded_window(window, qtbot, tmp_path):
    """The main window with a small two-class defect dataset loaded and a trained run of it opened."""
    run = train_with_cli(tmp_path, "manufacturing.surfaces")
    controller = window.controller
    with qtbot.waitSignal(controller.dataset_loaded, timeout=LOAD_MS):
        controller.select_dataset("manufacturing.surfaces", {"count": 160, "size": 32})
    controller.run_opened.emit(str(run))
    return window, write_png(tmp_path / "photo.png", (60, 40))


def visit_every_tab(qtbot, window, photo) -> list[tuple[str, QWidget]]:
    """Open each tab and wait for what it shows of the run: curves, filters, a prediction, an evaluation."""
    ready = {
        window.train_view: lambda: window.train_view._curves is not None and bool(window.train_view.curves.epochs),
        window.filters_view: lambda: bool(window.filters_view.maps_info.text()),
        window.threshold_view: lambda: window.threshold_view.plots is not None,
    }
    visited = []
    for index in range(window.tabs.count()):
        page = window.tabs.widget(index)
        open_tab(qtbot, window, page)
        if page is window.predict_view:
            with qtbot.waitSignal(page.predicted, timeout=LOAD_MS):
                page.predict_file(photo)
        elif page is window.evaluation_view:
            wait_for_evaluation(qtbot, page, timeout=LOAD_MS)
        elif page in ready:
            qtbot.waitUntil(ready[page], timeout=LOAD_MS)
        settle()
        visited.append((window.tabs.tabText(index), page))
    return visited


def test_showing_each_tab_of_a_trained_run_leaves_a_1280_px_window_as_wide(loaded_window, qtbot) -> None:
    window, photo = loaded_window
    window.resize(WIDE)
    settle()
    assert window.width() == WIDE.width()
    for title, _page in visit_every_tab(qtbot, window, photo):
        assert window.width() == WIDE.width(), f"showing {title} widened the window to {window.width()} px"


def test_every_tab_fits_a_1024_by_700_screen_without_cutting_text_or_plots(loaded_window, qtbot) -> None:
    window, photo = loaded_window
    window.resize(SMALL_SCREEN)
    settle()
    for title, page in visit_every_tab(qtbot, window, photo):
        hint = window.minimumSizeHint()
        assert hint.width() <= SMALL_SCREEN.width() and hint.height() <= SMALL_SCREEN.height(), (title, hint)
        assert window.size() == SMALL_SCREEN, f"{title} made the window {window.size()}"
        assert page.width() >= page.minimumSizeHint().width(), title
        assert not cut_labels(page) and not cut_labels(window.dataset_panel), (title, cut_labels(page))
        assert not cut_plots(page), (title, cut_plots(page))
