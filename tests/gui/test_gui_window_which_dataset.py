"""Which dataset Start trains on, and which run (and dataset) the analysis tabs show, are always on
screen, and a run is never fed another dataset's images."""

from __future__ import annotations

import json

import pytest
from gui_data_helpers import click_dataset, load_dataset, type_option
from gui_window_helpers import DEFECTS, LOAD_TIMEOUT_MS, RETAIL, click_tab, copy_run, open_in_runs_tab, train_retail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cnnstudio.core.config import RunConfig


@pytest.fixture(scope="module")
def retail_run(tmp_path_factory):
    return train_retail(tmp_path_factory.mktemp("retail"))


def load_defects(qtbot, window) -> None:
    load_dataset(qtbot, window.controller, window.dataset_panel, "manufacturing.surfaces", count=60, size=16)


def test_a_selected_dataset_is_not_trained_on_until_it_is_loaded_and_the_window_says_so(qtbot, window, tmp_path,
                                                                                         monkeypatch):
    panel, controller = window.dataset_panel, window.controller
    load_dataset(qtbot, controller, panel, "retail.products", count=60, size=16)
    assert panel.trains_on.text() == f"Start trains on: <b>{RETAIL}</b>"
    assert f"Start trains on: <b>{RETAIL}</b>" in window.train_view.dataset_label.text()

    click_dataset(qtbot, panel, "manufacturing.surfaces")  # one click: selected, not loaded
    assert panel.load_button.text() == f"Load {DEFECTS}"
    assert f"Start trains on: <b>{RETAIL}</b>" in panel.trains_on.text()
    assert f"Selected: <b>{DEFECTS}</b>, not loaded yet: press <i>Load {DEFECTS}</i>" in panel.trains_on.text()
    assert RETAIL in window.train_view.dataset_label.text()

    saved = tmp_path / "run.toml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(saved), ""))
    next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "&Save run config as...").trigger()
    assert RunConfig.load(saved).dataset.id == "retail.products"  # what Start would train on
    assert f"(dataset {RETAIL})" in window.statusBar().currentMessage()

    type_option(qtbot, panel, "count", 60)
    type_option(qtbot, panel, "size", 16)
    with qtbot.waitSignal(controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert panel.trains_on.text() == f"Start trains on: <b>{DEFECTS}</b>"
    assert panel.load_button.text() == "Reload with these options"
    assert DEFECTS in window.train_view.dataset_label.text()


def test_a_reopened_run_of_another_dataset_is_named_and_fed_only_its_own_images(qtbot, window, retail_run,
                                                                                monkeypatch):
    load_defects(qtbot, window)
    run = copy_run(retail_run, window.controller.runs_root)
    open_in_runs_tab(qtbot, window, run)

    filters = window.filters_view
    click_tab(qtbot, window, filters)
    qtbot.waitUntil(lambda: filters.model is not None and filters.run_images.own is not None, timeout=30_000)
    qtbot.waitUntil(lambda: filters.current_source() == "dataset", timeout=10_000)
    assert filters.source_combo.currentText() == f"dataset {RETAIL} (120 images, the run's own)"
    assert filters.run_images.imageset().class_names == ["shoe", "handbag"]  # not the loaded ok / defect images
    assert filters._images() is filters.run_images.own.images
    filters.image_spin.setValue(3)
    assert "computed in" in filters.maps_info.text()
    assert f"trained on <b>{RETAIL}</b>" in filters.run_label.text()

    predict = window.predict_view
    click_tab(qtbot, window, predict)
    label = predict.run_label.text()
    assert f"Answers from the model of run <b>{run.name}</b> · trained on <b>{RETAIL}</b>" in label
    assert "one of its classes: shoe, handbag" in label
    assert f"The loaded dataset is {DEFECTS}, not this run's {RETAIL}" in label

    for view in (window.evaluation_view, window.threshold_view):
        click_tab(qtbot, window, view)
        assert f"Run <b>{run.name}</b> · trained on <b>{RETAIL}</b>" in view.run_label.text()
    window.export_action.trigger()
    assert f"trained on <b>{RETAIL}</b>" in window.export_dialog.identity_label.text()
    window.export_dialog.close()


def test_filters_say_why_a_run_gets_no_dataset_images_when_its_dataset_is_gone(qtbot, window, retail_run, tmp_path):
    load_defects(qtbot, window)
    run = copy_run(retail_run, window.controller.runs_root)
    info = json.loads((run / "run.json").read_text())
    info.update(dataset_id=f"folder:{tmp_path / 'deleted photos'}", dataset_title="deleted photos")
    (run / "run.json").write_text(json.dumps(info))
    open_in_runs_tab(qtbot, window, run)

    filters = window.filters_view
    click_tab(qtbot, window, filters)
    qtbot.waitUntil(lambda: "could not be loaded" in filters.run_images.status, timeout=30_000)
    qtbot.waitUntil(lambda: filters.model is not None, timeout=30_000)
    assert filters.source_combo.findData("dataset") == -1  # the loaded defect images are not offered
    why = filters.maps_info.text()
    assert "its dataset deleted photos could not be loaded" in why and "deleted photos" in why
    assert f"The loaded dataset, {DEFECTS}, is not this run's, so its images are not used." in why
