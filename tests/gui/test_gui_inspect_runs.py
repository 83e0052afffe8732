"""Runs tab: the workspace's runs as a table, damaged folders as rows, opening a run."""

from __future__ import annotations

import shutil

import pytest
from gui_inspect_helpers import train_tiny
from PySide6.QtCore import Qt

from cnnstudio.gui.tabs.runs.runs_view import COLUMNS, RunsView


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    train_tiny("retail.products", root)
    train_tiny("manufacturing.surfaces", root)
    return root


def test_runs_table_lists_runs_and_damaged_folders(qtbot, controller, trained_root, tmp_path):
    root = tmp_path / "workspace"
    shutil.copytree(trained_root, root)
    damaged = root / "20990101-000000-broken"
    damaged.mkdir()
    (damaged / "config.toml").write_text("[[[ this is not toml ::", encoding="utf-8")
    controller.runs_root = root

    view = RunsView(controller)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        view.show()  # the first look lists the runs
    assert view.table.rowCount() == 3
    table = {view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in range(len(COLUMNS))]
             for r in range(view.table.rowCount())}
    broken = table["20990101-000000-broken"]
    assert broken[COLUMNS.index("Status")] == "damaged"
    reason = broken[1]  # the reason spans the columns after the name
    assert view.table.columnSpan(list(table).index("20990101-000000-broken"), 1) == len(COLUMNS) - 1
    assert reason.startswith("damaged: ") and "config.toml" in reason
    good = [row for name, row in table.items() if name != "20990101-000000-broken"]
    # The dataset's title, its id in the tooltip.
    assert sorted(row[COLUMNS.index("Dataset")] for row in good) == ["Retail product photos", "Surface defects"]
    dataset_tips = {view.table.item(r, 1).toolTip() for r in range(view.table.rowCount())}
    assert {"manufacturing.surfaces", "retail.products"} <= dataset_tips
    assert {row[COLUMNS.index("Head")] for row in good} == {"classification", "defect_map"}
    assert all(row[COLUMNS.index("Status")] == "finished" and row[COLUMNS.index("Epochs")] == "1 / 1" for row in good)
    assert all(row[COLUMNS.index("Best val metric")] for row in good)

    # a damaged run cannot be opened; a good one opens with a double-click
    broken_row = list(table).index("20990101-000000-broken")
    view.table.selectRow(broken_row)
    assert not view.open_button.isEnabled()
    retail_row = next(r for r in range(3) if view.table.item(r, 1).toolTip() == "retail.products")
    rect = view.table.visualItemRect(view.table.item(retail_row, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click's first press
    assert view.open_button.isEnabled()
    with qtbot.waitSignal(view.refreshed, timeout=30_000):  # opening a run refreshes the table too
        with qtbot.waitSignal(controller.run_opened, timeout=5_000) as blocker:
            qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] == view.rows[retail_row]["path"]

    # a new run appears after Refresh
    shutil.copytree(root / view.rows[retail_row]["Name"], root / "20990102-000000-copy")
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.table.rowCount() == 4


def test_empty_workspace_says_how_to_get_runs(qtbot, controller, tmp_path):
    controller.runs_root = tmp_path / "nothing-here"
    view = RunsView(controller)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        view.refresh()
    assert view.table.rowCount() == 0
    assert "No runs yet" in view.status_label.text()
