"""The app's export job: a typed result read back from disk, and errors that name what is wrong."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest

from cnnstudio.app.export_job import ExportResult, default_output, export_job, export_run
from cnnstudio.core.errors import ConfigError, ExportError, RunError
from tests.export.export_helpers import train_tiny


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("export_job"), "retail.products", count=60)


@pytest.fixture(scope="module")
def exported(run) -> ExportResult:
    return export_job(run, "torchscript")


def test_the_result_names_the_files_and_carries_the_check_and_its_report_read_back(run, exported) -> None:
    assert exported.path == default_output(run, "torchscript") == run / "export" / "model.pt"
    assert exported.format == "torchscript" and exported.path.is_file()
    assert exported.parity_file == run / "export" / "model.pt.parity.json" and exported.parity_file.is_file()
    assert exported.report.passed and exported.report.num_images > 0
    assert exported.parity.status == "passed" and exported.parity.model_file == exported.path
    assert exported.verdict == "passed" and exported.passed and exported.notes == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        exported.path = Path("elsewhere")  # type: ignore[misc]


def test_to_dict_is_what_the_cli_prints_with_json(exported) -> None:
    data = exported.to_dict()
    assert list(data) == ["file", "parity_file", "passed", "report", "text"]
    assert data["file"] == str(exported.path) and data["parity_file"] == str(exported.parity_file)
    assert data["passed"] is True and data["text"] == exported.report.text() and "Parity PASSED" in data["text"]
    assert json.loads(json.dumps(data))["report"]["num_images"] == exported.report.num_images


def test_the_result_crosses_a_process_boundary(exported) -> None:
    copy = pickle.loads(pickle.dumps(exported))
    assert copy.path == exported.path and copy.verdict == "passed" and copy.report.text() == exported.report.text()


def test_a_file_changed_after_its_check_is_not_passed(run, tmp_path) -> None:
    result = export_job(run, "onnx", out=tmp_path / "m.onnx")
    assert result.passed and result.parity.status == "passed"
    changed = dataclasses.replace(result, parity=dataclasses.replace(result.parity, status="stale", message="stale: x"))
    assert changed.report.passed and not changed.passed and changed.verdict == "stale: x"


def test_export_run_gives_the_path_and_the_parity_report(run, tmp_path) -> None:
    path, report = export_run(run, "torchscript", out=tmp_path / "plain.pt")
    assert path == tmp_path / "plain.pt" and report.passed and report.file == str(path)


def test_bad_input_raises_errors_that_name_it(run, tmp_path) -> None:
    with pytest.raises(RunError, match="run folder not found"):
        export_job(tmp_path / "gone", "onnx")
    with pytest.raises(RunError, match=r"not a run folder \(no run.json\)"):
        export_job(tmp_path, "onnx")
    with pytest.raises(ConfigError, match="--format must be one of"):
        export_job(run, "tflite")
    with pytest.raises(RunError, match="is a folder"):
        export_job(run, "onnx", out=tmp_path)


def test_a_file_that_cannot_be_written_is_an_export_error_naming_it(run, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "model.onnx"  # its folder cannot exist: the parent is a file
    with pytest.raises(ExportError, match="cannot write") as raised:
        export_job(run, "onnx", out=target)
    assert str(target) in str(raised.value) or str(blocker) in str(raised.value)


def test_a_stopped_run_exports_its_last_checkpoint_and_says_so(tmp_path) -> None:
    from tiny_runs import tiny_config_toml

    from cnnstudio.app.runner import train_run
    from cnnstudio.core.config import RunConfig

    config = RunConfig.from_toml(tiny_config_toml("retail.products", count=60, size=16, epochs=3))
    stopped = train_run(config, runs_root=tmp_path / "runs", stop_requested=lambda: True)
    heard: list[str] = []
    result = export_job(stopped.run_dir, "torchscript", out=tmp_path / "stopped.pt", on_note=heard.append)
    assert len(heard) == 1 and "before its first validated best" in heard[0]
    assert result.notes == tuple(heard) and result.path.is_file()
