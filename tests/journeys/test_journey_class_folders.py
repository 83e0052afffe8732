"""Journey 2: a person's class-folder tree of JPEGs, opened with Ctrl+O and by a drop, trained, evaluated,
tried on one of their own photos and exported, all in the real window."""

from __future__ import annotations

import json
from pathlib import Path

from journey_driver import Studio
from user_photos import class_folder_tree, own_photo

from cnnstudio.core.config import RunConfig


def test_class_folder_tree_opens_trains_evaluates_tries_and_exports(qtbot, monkeypatch, tmp_path):
    photos = class_folder_tree(tmp_path / "Mes photos" / "chat ou café")
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    # File > Open image folder (Ctrl+O): the Data tab shows the person's two classes and every photo.
    spec = studio.open_folder(photos)
    assert spec.id == f"folder:{photos}"
    assert set(spec.class_names) == {"chat", "café"}
    assert len(studio.controller.imageset) == 48
    studio.tab(window.data_view)
    assert "chat ou café" in window.dataset_panel.tree.currentItem().text(0)
    studio.snapshot("journey_folder_data")

    run_dir = Path(studio.train(epochs=2))
    config = RunConfig.load(run_dir / "config.toml")
    assert config.dataset.id == f"folder:{photos}"
    lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "val_accuracy" in json.loads(lines[-1])["metrics"]
    assert (run_dir / "weights" / "best.safetensors").exists()
    assert "Finished all epochs" in window.train_view.summary_label.text()

    # Evaluate: the confusion matrix of this run; a click on a cell shows its images.
    evaluation = studio.tab(window.evaluation_view)
    studio.wait_for(lambda: evaluation.report is not None and evaluation.run_dir == str(run_dir))
    assert run_dir.name in evaluation.run_label.text()
    matrix = evaluation.confusion
    cell = max(((t, p) for t in range(2) for p in range(2)), key=lambda tp: matrix.count(*tp))
    studio.click_cell(matrix, *cell)
    studio.wait_for(lambda: len(evaluation.gallery.tile_images()) == matrix.count(*cell))
    assert evaluation.gallery.title.text()
    studio.snapshot("journey_folder_evaluate")

    # Try an image: one of the person's own photos, bigger than the training images.
    mine = own_photo(tmp_path / "Desktop" / "ma photo.jpg")
    studio.dialog_answers.append(str(mine))
    predict = window.predict_view
    with qtbot.waitSignal(predict.predicted, timeout=60_000) as answer:
        studio.press("Ctrl+I")
    assert window.tabs.currentWidget() is predict
    assert "error" not in answer.args[0], answer.args[0]
    said = answer.args[0]["class"]
    assert said in ("chat", "café")
    assert "ma photo.jpg" in predict.file_label.text() and said in predict.decision_label.text()
    studio.snapshot("journey_folder_try")

    # File > Export model: ONNX, checked against PyTorch.
    studio.trigger("File", "Export model")
    dialog = window.export_dialog
    with qtbot.waitSignal(dialog.finished_export, timeout=180_000) as exported:
        studio.click(dialog.export_button)
    ok, result = exported.args
    assert ok, dialog.status.text()
    parity = json.loads((run_dir / "export" / "model.onnx.parity.json").read_text(encoding="utf-8"))
    assert parity["passed"] is True
    assert "passed" in dialog.status.text().lower()
    dialog.close()

    # The same folder dropped on the dataset panel is the same dataset, not a second entry.
    studio.drop(window.dataset_panel, photos)
    studio.wait_for(lambda: studio.controller.spec is not None and studio.controller.spec.id == spec.id)
    folders = [item for item in window.dataset_panel._items() if str(item.data(0, 256)).startswith("folder:")]
    assert len(folders) == 1
    assert not studio.messages, studio.messages
