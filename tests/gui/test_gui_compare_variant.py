"""Runs tab, "Try a variant": two clicks train the run again with average pooling and compare the two."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_compare_helpers import click_row, row_of, train_tiny
from PySide6.QtCore import Qt

from cnnstudio.core.runs.folder import RunFolder


@pytest.fixture
def finished_run(window) -> Path:
    root = Path(window.controller.runs_root)
    root.mkdir(parents=True, exist_ok=True)
    return train_tiny(root, "original", pooling="max", epochs=1)


def test_average_pooling_variant_trains_and_is_compared_with_the_original(qtbot, window, finished_run) -> None:
    view = window.runs_view
    with qtbot.waitSignal(view.refreshed, timeout=30000):
        window.tabs.setCurrentWidget(view)
    click_row(qtbot, view.table, row_of(view, finished_run))
    button = view.variant_button
    assert button.isEnabled() and button.run_dir == str(finished_run)
    actions = button.actions_by_title()
    assert set(actions) == {"Average pooling instead of max", "No batch-norm", "Dropout 0.5", "Learning rate x0.1",
                            "One more conv layer"}
    assert "Mini challenge 2" in actions["Average pooling instead of max"].toolTip()

    with qtbot.waitSignal(view.compared, timeout=180000):
        actions["Average pooling instead of max"].trigger()  # what picking it in the open menu does
        assert window.controller.run_state in ("starting", "training")
        # A second variant while the first trains is refused with a message.
        with qtbot.waitSignal(window.controller.message, timeout=5000) as said:
            actions["Dropout 0.5"].trigger()
        assert "already training" in said.args[1]

    comparison = view.compare_view.comparison
    original, variant = comparison.runs
    assert original.path == finished_run and variant.path != finished_run
    assert RunFolder(variant.path).status == "finished"
    assert {d.field: d.values for d in comparison.differences} == {"model.pooling": ("max", "avg")}
    assert view.compare_view.table_text("differences")[1] == ["model.pooling", "max", "avg"]
    assert len(view.compare_view.curve_points(1, "val_loss")) == 1
    # Same dataset, options and seed as the original run.
    for key in ("dataset.id", "dataset.options.count", "dataset.options.size", "seed"):
        assert variant.config[key] == original.config[key]
    # The variant's run is listed in the table too.
    qtbot.waitUntil(lambda: str(variant.path) in [r["path"] for r in view.rows], timeout=30000)


def test_no_variant_for_several_runs_or_none(qtbot, window, finished_run) -> None:
    view = window.runs_view
    with qtbot.waitSignal(view.refreshed, timeout=30000):
        window.tabs.setCurrentWidget(view)
    assert not view.variant_button.isEnabled()
    click_row(qtbot, view.table, row_of(view, finished_run))
    assert view.variant_button.isEnabled()
    view.table.clearSelection()
    assert not view.variant_button.isEnabled()
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    assert view.compare_view is None
