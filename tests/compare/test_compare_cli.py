"""`cnnstudio compare RUN RUN [--json]`: the differences table, the final metrics table, readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compare_helpers import train_tiny

from cnnstudio.cli.main import main


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("compare_cli")
    return train_tiny(base, "max", pooling="max", lr=0.003), train_tiny(base, "avg", pooling="avg", lr=0.01)


def test_prints_differences_and_final_metrics(two_runs, capsys) -> None:
    assert main(["compare", *map(str, two_runs)]) == 0
    out = capsys.readouterr().out
    differences = out.split("Config differences:")[1].split("Final metrics:")[0]
    lines = [line.split() for line in differences.strip().splitlines()[2:]]
    assert lines == [["model.pooling", "max", "avg"], ["training.lr", "0.003", "0.01"]]
    metrics = out.split("Final metrics:")[1]
    summaries = [json.loads((run / "summary.json").read_text()) for run in two_runs]
    accuracy = next(line.split() for line in metrics.splitlines() if line.startswith("best val accuracy"))
    assert accuracy[3:] == [f"{s['metrics']['val_accuracy']:.4f}" for s in summaries]
    test_row = next(line.split() for line in metrics.splitlines() if line.startswith("test accuracy"))
    assert test_row[2:] == [f"{s['metrics']['test_accuracy']:.4f}" for s in summaries]


def test_json_has_runs_and_differences(two_runs, capsys) -> None:
    assert main(["compare", *map(str, two_runs), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [d["field"] for d in data["differences"]] == ["model.pooling", "training.lr"]
    assert [r["final"]["best_epoch"] for r in data["runs"]] == [
        json.loads((run / "summary.json").read_text())["best_epoch"] for run in two_runs]


def test_bad_input_exits_2_naming_the_folder(two_runs, tmp_path, capsys) -> None:
    assert main(["compare", str(two_runs[0]), str(tmp_path / "missing-run")]) == 2
    assert "missing-run" in capsys.readouterr().err
    assert main(["compare", str(two_runs[0])]) == 2
    assert "at least two" in capsys.readouterr().err
