"""Try an image tab: probabilities, heat-map overlay, unreadable files, drops, no run yet."""

from __future__ import annotations

import pytest
from gui_inspect_helpers import predict, shown_view, train_tiny, write_png
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.tabs.predict.predict_view import NO_RUN, PredictView


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {name: train_tiny(name, root)[0] for name in ("retail.products", "manufacturing.surfaces")}


@pytest.fixture
def view(qtbot, controller):
    return shown_view(qtbot, PredictView, controller, (900, 520))


def test_probability_bars_sum_to_100_and_name_the_class(qtbot, controller, view, runs, tmp_path):
    controller.run_opened.emit(str(runs["retail.products"]))
    entry = predict(qtbot, view, write_png(tmp_path / "photo.png"))
    assert set(view.bars) == {"shoe", "handbag"}
    percents = [float(label.text().rstrip("%")) for _, label in view.bars.values()]
    assert sum(percents) == pytest.approx(100.0, abs=0.15)
    assert sum(bar.value() for bar, _ in view.bars.values()) == pytest.approx(1000, abs=1)
    assert f"Decision: {entry['class']}" in view.decision_label.text()
    assert view.image_label.pixmap().width() == 224  # 16 px input shown enlarged
    assert view.error_label.text() == ""


def test_heatmap_run_shows_score_threshold_and_overlay(qtbot, controller, view, runs, tmp_path):
    controller.run_opened.emit(str(runs["manufacturing.surfaces"]))
    entry = predict(qtbot, view, write_png(tmp_path / "surface.png", size=(16, 16), seed=3))
    assert "score" in entry and "threshold" in entry
    text = view.decision_label.text()
    assert "score" in text and "threshold" in text
    assert "Heat map" in view.overlay_title.text()
    assert view.overlay.shape == (16, 16, 3)
    plain = view.image_label.pixmap().toImage()
    overlaid = view.overlay_label.pixmap().toImage()
    assert plain.size() == overlaid.size() and plain != overlaid


def test_unreadable_file_shows_the_error_inline(qtbot, controller, view, runs, tmp_path):
    controller.run_opened.emit(str(runs["retail.products"]))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    entry = predict(qtbot, view, broken)
    assert "error" in entry
    assert "broken.png" in view.error_label.text() and "not a readable image" in view.error_label.text()
    assert view.bars == {}
    good = predict(qtbot, view, write_png(tmp_path / "ok.png"))  # the view stays usable
    assert "error" not in good and view.error_label.text() == ""


def test_dropped_image_file_is_predicted(qtbot, controller, view, runs, tmp_path):
    controller.run_opened.emit(str(runs["retail.products"]))
    path = write_png(tmp_path / "dropped.png", seed=5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)  # a drag enters the tab first, as with a real mouse
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    drop = QDropEvent(*args)
    with qtbot.waitSignal(view.predicted, timeout=30_000) as blocker:
        QApplication.sendEvent(view, drop)
    assert blocker.args[0]["file"] == str(path)
    assert len(view.bars) == 2


def test_without_a_run_it_says_to_train_first(qtbot, controller, view, tmp_path):
    assert view.run_label.text() == NO_RUN
    predict(qtbot, view, write_png(tmp_path / "early.png"))
    assert view.error_label.text() == NO_RUN
