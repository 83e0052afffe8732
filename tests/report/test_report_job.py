"""The app's report job (evaluate through the plugins, render, write) and the core's pure renderer."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from pathlib import Path

import pytest
from report_helpers import parse_page, section, train_tiny_run

from cnnstudio.app.report_job import ReportResult, evaluate_for_report, report_job
from cnnstudio.core.errors import ConfigError, RunError
from cnnstudio.core.report.findings import ModelFindings
from cnnstudio.core.report.render import check_run_folder, render_report


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("report_job"), "retail.products")


def test_the_job_writes_the_report_and_says_where(run, tmp_path) -> None:
    result = report_job(run, out=tmp_path / "r.html", split="test", mistakes=2)
    assert isinstance(result, ReportResult)
    assert result.path == tmp_path / "r.html" and result.split == "test"
    assert result.evaluated and result.unavailable == ""
    assert "test images" in section(parse_page(result.path), "confusion").all_text()
    assert len(section(parse_page(result.path), "mistakes").find_all("div", css="card")) <= 2
    assert pickle.loads(pickle.dumps(result)) == result
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.path = tmp_path  # type: ignore[misc]


def test_the_default_file_is_in_the_run_folder(run) -> None:
    assert report_job(run).path == run / "report.html"


def test_a_run_without_weights_gets_a_report_that_says_why(run, tmp_path) -> None:
    copy = Path(shutil.copytree(run, tmp_path / "unfinished"))
    shutil.rmtree(copy / "weights")
    result = report_job(copy)
    assert not result.evaluated and "has no checkpoint yet" in result.unavailable
    assert result.unavailable in section(parse_page(result.path), "confusion").all_text()


def test_bad_input_raises_errors_that_name_it(run, tmp_path) -> None:
    with pytest.raises(ConfigError, match="split must be one of val, test"):
        report_job(run, split="train")
    with pytest.raises(ConfigError, match="is a folder"):
        report_job(run, out=tmp_path)
    with pytest.raises(RunError, match="no such run folder"):
        report_job(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()


def test_the_renderer_takes_findings_or_the_reason_they_are_missing(run) -> None:
    folder = check_run_folder(run)
    findings, unavailable = evaluate_for_report(folder, "val", None, 3)
    assert isinstance(findings, ModelFindings) and unavailable == ""
    assert len(findings.positions) <= 3 and findings.filters and findings.report.split == "val"
    with_model = render_report(folder, findings)
    assert "Not available" not in with_model and "val images" in with_model
    without = render_report(folder, None, "the dataset is gone")
    assert "Not available: the dataset is gone" in without and "Training curves" in without
