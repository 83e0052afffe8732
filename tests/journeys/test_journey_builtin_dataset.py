"""Journey 1: a built-in dataset from the list to a shipped model: browse, train while the curves grow,
evaluate, set a threshold, try an image from a file and by drop, export with parity, write the report,
and find help in the Help menu."""

from __future__ import annotations

import json
from pathlib import Path

from journey_driver import Studio
from PySide6.QtWidgets import QApplication, QMessageBox
from user_photos import own_photo

from cnnstudio.core.evaluate.threshold import run_threshold


def test_builtin_defects_from_browsing_to_report(qtbot, monkeypatch, tmp_path):
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window
    assert studio.controller.spec.id == "retail.products"  # the first launch opens on the default domain

    imageset = studio.pick_dataset("manufacturing.surfaces", count=240)
    assert studio.controller.spec.id == "manufacturing.surfaces" and len(imageset) == 240
    data = studio.tab(window.data_view)
    everything = data.model.rowCount()
    studio.choose(data.class_filter, data.class_filter.itemText(data.class_filter.count() - 1))
    assert 0 < data.model.rowCount() < everything

    # Train: the curves grow while it runs, one point per epoch at the end.
    curves_seen: list[int] = []

    def look_at_the_curves(event) -> None:
        if type(event).__name__ == "EpochEnded":
            window.train_view.curves.flush()  # what the next repaint draws
            curves_seen.append(len(window.train_view.curves.epoch_points("val_loss")))

    studio.controller.run_event.connect(look_at_the_curves)
    run_dir = Path(studio.train(epochs=3))
    view = window.train_view
    view.curves.flush()
    assert [x for x, _ in view.curves.epoch_points("val_loss")] == [1.0, 2.0, 3.0]
    assert curves_seen == [1, 2, 3]  # drawn while it trained, not only at the end

    # Evaluate: click the cell of the defects it missed or caught, see those images.
    evaluation = studio.tab(window.evaluation_view)
    studio.wait_for(lambda: evaluation.report is not None and evaluation.run_dir == str(run_dir))
    table = evaluation.confusion
    cell = next((t, p) for t in (1, 0) for p in (1, 0) if table.count(t, p))
    studio.click_cell(table, *cell)
    studio.wait_for(lambda: len(evaluation.gallery.tile_images()) == table.count(*cell))

    # Threshold: a recall target solved and saved into the run.
    threshold = studio.tab(window.threshold_view)
    studio.wait_for(lambda: threshold.scores is not None, timeout=90_000)
    studio.click(threshold.recall_button)
    studio.click(threshold.save_button)
    studio.wait_for(lambda: not threshold._saving and not threshold.save_button.isEnabled())
    saved = run_threshold(run_dir)
    assert saved is not None and abs(saved - threshold.value) < 1e-4

    # Try an image: once from the file dialog, once dropped.
    predict = window.predict_view
    first = own_photo(tmp_path / "Pictures" / "plate.jpg", source="brick")
    studio.dialog_answers.append(str(first))
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.trigger("File", "Open image to try")
    assert "error" not in answer.args[0] and abs(answer.args[0]["threshold"] - saved) < 1e-6
    second = own_photo(tmp_path / "Pictures" / "plate 2.jpg", source="gravel")
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.drop(predict, second)
    assert "error" not in answer.args[0] and "plate 2.jpg" in predict.file_label.text()

    # Export with its parity check, then the report, both from the File menu.
    studio.press("Ctrl+Shift+E")  # with the threshold spin box still focused
    dialog = window.export_dialog
    with qtbot.waitSignal(dialog.finished_export, timeout=180_000) as exported:
        studio.click(dialog.export_button)
    assert exported.args[0], dialog.status.text()
    assert json.loads((run_dir / "export" / "model.onnx.parity.json").read_text())["passed"] is True
    dialog.close()
    studio.dialog_answers.append(str(tmp_path / "Reports" / "defects report.html"))
    (tmp_path / "Reports").mkdir()
    with qtbot.waitSignal(window.report_action.finished, timeout=180_000) as written:
        studio.trigger("File", "Write report")
    assert list(written.args) == [str(tmp_path / "Reports" / "defects report.html"), ""]
    page = (tmp_path / "Reports" / "defects report.html").read_text(encoding="utf-8")
    assert run_dir.name in page and "passed" in page
    box = window.report_action.box
    assert box.isVisible() and "defects report.html" in box.text()
    box.close()

    # Help: the user guide and the shortcuts, both from the Help menu.
    studio.press("F1")
    guide = window.guide_dialog
    assert guide.isVisible() and "Quick start" in guide.browser.toPlainText() or "CNN Studio" in guide.browser.toPlainText()
    guide.close()
    studio.trigger("Help", "Keyboard shortcuts")
    rows = window.shortcuts_dialog.table
    listed = {rows.item(r, 1).text(): rows.item(r, 0).text() for r in range(rows.rowCount())}
    assert listed["File > Open image folder..."] == "Ctrl+O"
    window.shortcuts_dialog.close()
    assert not studio.messages, studio.messages
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
