"""Journey: the loop that makes labelling fast. A folder half labelled in the Label tab trains; the run
suggests labels for the rest, least certain first, accepted with Enter; a mistake found in Evaluate's
gallery is opened in the Label tab from its context menu and fixed there."""

from __future__ import annotations

from pathlib import Path

from journey_driver import Studio
from label_hands import wait_for_saved
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from test_journey_label_classes import unsorted_photos

from cnnstudio.core.labels.label_file import write_label_file
from cnnstudio.core.labels.label_set import ImageLabel, LabelSet


def choose_in_next_menu(text: str) -> None:
    """When the next context menu opens, click its item ``text``."""
    def click() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            action = next(a for a in menu.actions() if a.text() == text)
            assert action.isEnabled(), f"{text} is disabled"
            menu.setActiveAction(action)
            action.trigger()
            menu.close()
            return
        QTimer.singleShot(20, click)

    QTimer.singleShot(20, click)


def test_suggestions_from_a_run_and_a_mistake_fixed_from_evaluate(qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "Cafe photos"
    truth = unsorted_photos(folder, count=40)
    names = sorted(truth)
    # Labelled earlier in the Label tab: the first 32 photos; 8 still unlabelled.
    labels = LabelSet.empty(folder, "classes", ["cat", "coffee"], names)
    for name in names[:32]:
        labels.set(ImageLabel(status="labelled", class_name=truth[name]), name)
    write_label_file(labels)

    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window, view = studio.window, studio.window.label_view
    spec = studio.open_folder(folder)
    assert spec.class_names == ("cat", "coffee") and len(studio.controller.imageset) == 32
    run_dir = Path(studio.train(epochs=15))

    # Suggest labels: the 8 unlabelled photos get the run's guesses, least certain first.
    studio.tab(view)
    studio.click(view.toolbar.suggest)
    studio.wait_for(lambda: view.filter == "suggested" and len(view.rows) == 8)
    scores = [view.labels.get(name).score for name in view.rows]
    assert scores == sorted(scores, reverse=True)
    assert all(view.labels.get(name).suggested for name in view.rows)
    right = sum(view.labels.get(name).class_name == truth[name] for name in view.rows)
    assert right >= 6, f"only {right} of 8 suggestions right"
    first = view.current
    assert first == view.rows[0]
    studio.press("Return", view.canvas)  # accept the shown suggestion
    saved = wait_for_saved(qtbot, folder, lambda images: images.get(first, {}).get("suggested") is None
                           and first in images)
    assert saved["images"][first]["status"] == "labelled"
    assert len(view.labels.counted()) == 33
    studio.snapshot("journey_label_suggest")

    # Evaluate: right-click a tile of the gallery, "Fix its label in the Label tab".
    evaluation = studio.tab(window.evaluation_view)
    evaluation.use_run(str(run_dir))
    studio.wait_for(lambda: evaluation.report is not None)
    matrix = evaluation.confusion
    cell = next((t, p) for t in range(2) for p in range(2) if matrix.count(t, p))
    studio.click_cell(matrix, *cell)
    gallery = evaluation.gallery
    studio.wait_for(lambda: len(gallery.tile_images()) == matrix.count(*cell))
    source = Path(evaluation.report.sources[gallery.positions[0]])
    choose_in_next_menu("Fix its label in the Label tab")
    canvas = gallery.canvas
    point = QPoint(gallery.tile_px // 2 + 4, gallery.tile_px // 2 + 4)
    # A right-click: Qt's context-menu event, as the window system sends it for the right button.
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, canvas.mapToGlobal(point)))
    studio.wait_for(lambda: window.tabs.currentWidget() is view)
    assert view.current == source.name
    wrong = "2" if truth[source.name] == "cat" else "1"
    studio.press(wrong, view.canvas)
    wait_for_saved(qtbot, folder, lambda images: images[source.name]["class"] != truth[source.name])

