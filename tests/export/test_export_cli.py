"""`cnnstudio export`: exit codes and messages people see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.cli.main import main
from tests.export.export_helpers import train_tiny


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("export_cli"), "retail.products", count=60)


def test_missing_run_folder_exits_2_naming_it(tmp_path, capsys) -> None:
    missing = tmp_path / "no-such-run"
    assert main(["export", str(missing), "--format", "onnx"]) == 2
    err = capsys.readouterr().err
    assert f"cnnstudio: error: {missing}: run folder not found" in err and "Traceback" not in err


def test_folder_that_is_not_a_run_exits_2(tmp_path, capsys) -> None:
    assert main(["export", str(tmp_path), "--format", "torchscript"]) == 2
    assert "not a run folder (no run.json)" in capsys.readouterr().err


def test_unwritable_out_exits_2_naming_the_path(run, tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "model.onnx"  # a folder that cannot exist: its parent is a file
    assert main(["export", str(run), "--format", "onnx", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "cannot write" in err
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_json_export_to_a_chosen_file_passes(run, tmp_path, capsys) -> None:
    target = tmp_path / "ship" / "shelf.pt"
    assert main(["export", str(run), "--format", "torchscript", "--out", str(target), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert data["file"] == str(target) and data["passed"] is True
    assert Path(data["parity_file"]) == tmp_path / "ship" / "shelf.pt.parity.json"
    assert Path(data["parity_file"]).is_file() and target.is_file()
    assert "Parity PASSED" in data["text"]


def test_plain_output_prints_the_path_and_report(run, capsys) -> None:
    assert main(["export", str(run), "--format", "onnx"]) == 0
    out = capsys.readouterr().out
    assert f"Exported {run / 'export' / 'model.onnx'}" in out
    assert "Parity PASSED" in out and "max |logit difference|" in out and "opset" in out


def test_a_failed_parity_report_says_failed_in_words_and_numbers() -> None:
    from cnnstudio.core.export.parity import ParityReport

    report = ParityReport(
        format="onnx", file="m.onnx", num_images=200, max_abs_logit_diff=3e-3, max_abs_probability_diff=1e-3,
        decisions_agreeing=199, decisions_agree_fraction=0.995, passed=False, threshold=0.42,
        input_description="all 200 validation images", torch_version="x", onnxruntime_version="y", opset=20,
        seconds=1.0,
    )
    text = report.text()
    assert text.startswith("Parity FAILED") and "3.00e-03" in text and "199/200" in text and "0.4200" in text
    assert report.to_dict()["passed"] is False


def test_a_failed_check_keeps_both_files_and_exits_1(run, tmp_path, capsys, monkeypatch) -> None:
    # No real export misses 1e-4, so the limit is made impossible to meet: the check itself runs for real.
    monkeypatch.setattr("cnnstudio.core.export.parity.LOGIT_TOLERANCE", -1.0)
    target = tmp_path / "strict.pt"
    assert main(["export", str(run), "--format", "torchscript", "--out", str(target)]) == 1
    assert "Parity FAILED" in capsys.readouterr().out
    report = json.loads((tmp_path / "strict.pt.parity.json").read_text(encoding="utf-8"))
    assert target.is_file() and report["passed"] is False and report["decisions_agree_fraction"] == 1.0
