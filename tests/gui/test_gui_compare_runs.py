"""Runs tab: Ctrl+click two runs, press Compare: overlaid curves per run and the config differences."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gui_compare_helpers import click_row, row_of, train_tiny
from PySide6.QtCore import Qt


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gui_compare") / "runs"
    root.mkdir()
    train_tiny(root, "max", pooling="max")
    train_tiny(root, "avg", pooling="avg")
    return root


@pytest.fixture
def runs_view(qtbot, controller, runs_root, tmp_path):
    from cnnstudio.gui.tabs.runs.runs_view import RunsView

    controller.runs_root = tmp_path / "workspace"
    shutil.copytree(runs_root, controller.runs_root)
    view = RunsView(controller)
    qtbot.addWidget(view)
    view.resize(1000, 760)
    with qtbot.waitSignal(view.refreshed, timeout=30000):
        view.show()
    return view


def test_ctrl_click_two_runs_and_compare(qtbot, runs_view) -> None:
    view = runs_view
    runs = sorted(Path(view.controller.runs_root).iterdir())  # oldest (max) first
    assert not view.compare_button.isEnabled()
    click_row(qtbot, view.table, row_of(view, runs[0]))
    assert not view.compare_button.isEnabled() and view.variant_button.isEnabled()
    click_row(qtbot, view.table, row_of(view, runs[1]), Qt.KeyboardModifier.ControlModifier)
    assert view.selected_paths() and len(view.selected_paths()) == 2
    assert view.compare_button.isEnabled() and not view.variant_button.isEnabled()
    with qtbot.waitSignal(view.compared, timeout=30000):
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)

    compare = view.compare_view
    assert compare.isVisible()
    for index, run in enumerate(runs):
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        expected = [(float(r["epoch"]), pytest.approx(r["metrics"]["val_loss"])) for r in records]
        assert compare.curve_points(index, "val_loss") == expected
        assert len(compare.curve_points(index, "loss")) == len(records)
        assert [p[0] for p in compare.curve_points(index, "val_accuracy")] == [float(r["epoch"]) for r in records]
    header, *rows = compare.table_text("differences")
    assert rows == [["model.pooling", "max", "avg"]]
    assert header[1:] == ["pooling max", "pooling avg"]
    metrics = {row[0]: row[1:] for row in compare.table_text("metrics")[1:]}
    summaries = [json.loads((run / "summary.json").read_text()) for run in runs]
    assert metrics["best val accuracy"] == [f"{s['metrics']['val_accuracy']:.4f}" for s in summaries]
    assert metrics["best epoch"] == [str(s["best_epoch"]) for s in summaries]
    assert "val accuracy" in compare.headline.text()
    compare.grab().save(str(Path(view.controller.runs_root).parent / "compare.png"))


def test_ctrl_d_compares_and_a_damaged_run_is_left_out_with_its_reason(qtbot, runs_view) -> None:
    view = runs_view
    root = Path(view.controller.runs_root)
    broken = root / "29990101-000000-broken"
    shutil.copytree(sorted(root.iterdir())[0], broken)
    (broken / "run.json").write_text("{ not json", encoding="utf-8")
    with qtbot.waitSignal(view.refreshed, timeout=30000):
        view.refresh()
    view.table.selectAll()
    assert view.compare_action.isEnabled()
    view.table.setFocus()
    with qtbot.waitSignal(view.compared, timeout=30000):
        qtbot.keyClick(view.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(view.compare_view.comparison.runs) == 2
    assert "broken" in view.compare_view.headline.text() and "run.json" in view.compare_view.headline.text()
