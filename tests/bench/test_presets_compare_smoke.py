"""Smoke test of bench/presets_compare.py: a tiny image-folder comparison through the real train path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "presets_compare.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("presets_compare_bench", BENCH_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_quick_folder_comparison_prints_a_row_per_preset_with_real_accuracies(capsys, isolated_user_folders):
    bench = _load_bench()

    rows = bench.main(["--quick", "--only", "defects-folder", "--images", "80", "--epochs", "1"])

    assert [(r.dataset, r.preset) for r in rows] == [("defects-folder", "seed"), ("defects-folder", "recommended")]
    for row in rows:
        assert 0.0 <= row.val_accuracy <= 1.0
        assert row.test_accuracy is not None and 0.0 <= row.test_accuracy <= 1.0
        assert row.epochs == 1
    table = capsys.readouterr().out
    assert "| dataset | preset | val acc | test acc | epochs | seconds |" in table
    assert "| defects-folder | seed |" in table and "| defects-folder | recommended |" in table
    assert "recommended takes" in table
    # The benchmark's own runs and cache went to its temporary folder, not the user's.
    assert not (isolated_user_folders / "runs").exists()
