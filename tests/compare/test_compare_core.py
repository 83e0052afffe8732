"""compare_runs on two tiny runs that differ in pooling and learning rate: differences, curves, final metrics."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from compare_helpers import train_tiny

from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import RunError
from cnnstudio.core.evaluate.compare import (
    best_index,
    compare_runs,
    config_differences,
    flatten_config,
    headline,
    metric_rows,
)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("compare_core")
    return train_tiny(base, "max", pooling="max", lr=0.003), train_tiny(base, "avg", pooling="avg", lr=0.001)


def test_differences_are_exactly_pooling_and_lr(two_runs) -> None:
    comparison = compare_runs(two_runs)
    rows = {d.field: d.values for d in comparison.differences}
    assert rows == {"model.pooling": ("max", "avg"), "training.lr": (0.003, 0.001)}
    assert [run.path for run in comparison.runs] == list(two_runs)
    assert comparison.runs[0].label == "pooling max, lr 0.003"
    assert comparison.runs[1].label == "pooling avg, lr 0.001"


def test_final_metrics_are_the_runs_summaries_and_curves_their_epochs(two_runs) -> None:
    comparison = compare_runs(two_runs)
    for run, folder in zip(comparison.runs, two_runs):
        summary = json.loads((folder / "summary.json").read_text())
        assert run.final["best_epoch"] == summary["best_epoch"]
        assert run.final["epochs_run"] == summary["epochs_run"] == 2
        for key, value in summary["metrics"].items():
            assert run.final[key] == pytest.approx(value)
        records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        assert run.curve("val_loss") == [(r["epoch"], pytest.approx(r["metrics"]["val_loss"])) for r in records]
        assert [epoch for epoch, _ in run.curve("loss")] == [1, 2]
    rows = {row.name: row for row in metric_rows(comparison)}
    accuracy = rows["best val accuracy"].values
    assert accuracy == (comparison.runs[0].final["val_accuracy"], comparison.runs[1].final["val_accuracy"])
    assert rows["test accuracy"].values[0] == comparison.runs[0].final["test_accuracy"]
    assert rows["epochs"].values == ("2 / 2", "2 / 2")
    if accuracy[0] != accuracy[1]:
        assert best_index(rows["best val accuracy"]) == (0 if accuracy[0] > accuracy[1] else 1)
        assert f"{max(accuracy):.3f}" in headline(comparison)


def test_flatten_names_nested_fields_and_keeps_only_what_differs() -> None:
    a = RunConfig().to_dict()
    b = RunConfig().to_dict()
    b["model"]["conv_layers"][1]["out_channels"] = 48
    b["dataset"]["options"] = {"count": 200}
    flat = flatten_config(b)
    assert flat["model.conv_layers[1].out_channels"] == 48 and flat["dataset.options.count"] == 200
    assert flat["head.options"] == {}
    rows = {d.field: d.values for d in config_differences([flatten_config(a), flat])}
    assert rows == {"dataset.options": ({}, None), "dataset.options.count": (None, 200),
                    "model.conv_layers[1].out_channels": (32, 48)}
    # 1 and 1.0 are the same value; True and 1 are not
    assert config_differences([{"x": 1, "y": True}, {"x": 1.0, "y": 1}])[0].field == "y"


def test_a_damaged_run_is_an_error_naming_the_folder_or_skipped_with_its_reason(two_runs, tmp_path) -> None:
    broken = tmp_path / "broken-run"
    shutil.copytree(two_runs[0], broken)
    (broken / "config.toml").write_text("[model\npooling = ", encoding="utf-8")
    with pytest.raises(RunError, match="broken-run.*config.toml"):
        compare_runs([two_runs[0], broken])
    comparison = compare_runs([two_runs[0], broken, two_runs[1]], skip_damaged=True)
    assert [run.path for run in comparison.runs] == list(two_runs)
    ((path, reason),) = comparison.unreadable
    assert path == broken and "config.toml" in reason and "broken-run" in reason
    with pytest.raises(RunError, match="no such run folder"):
        compare_runs([tmp_path / "nowhere"])


def test_a_run_without_summary_uses_its_best_epoch_so_far(two_runs, tmp_path) -> None:
    running = tmp_path / "still-running"
    shutil.copytree(two_runs[1], running)
    (running / "summary.json").unlink()
    (run,) = compare_runs([running]).runs
    best = [json.loads(line) for line in (running / "metrics.jsonl").read_text().splitlines() if '"is_best": true' in line][-1]
    assert run.final["best_epoch"] == best["epoch"]
    assert run.final["val_accuracy"] == pytest.approx(best["metrics"]["val_accuracy"])
    assert "test_accuracy" not in run.final


def test_headline_says_whether_the_gap_is_beyond_chance() -> None:
    from cnnstudio.core.evaluate.compare import Comparison, RunResult

    def run(name: str, accuracy: float, images: int) -> RunResult:
        return RunResult(path=Path(name), name=name, label=name, status="finished", primary_metric="accuracy",
                         records=[], final={"val_accuracy": accuracy}, config={}, val_images=images)

    close = headline(Comparison([run("max", 0.90, 100), run("avg", 0.88, 100)], []))
    assert close.startswith('Best val accuracy: 0.900 for "max", against 0.880 for "avg" (+0.020).')
    assert "can be chance" in close  # 2 * sqrt((.09 + .1056) / 100) = 0.088 > 0.02
    clear = headline(  # 2 * sqrt((.21 + .09) / 2000) = 0.0245
        Comparison([run("max", 0.70, 2000), run("avg", 0.90, 2000)], []))
    assert '0.900 for "avg"' in clear and "beyond chance" in clear and "about 0.024" in clear
