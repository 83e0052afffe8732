"""`cnnstudio report RUN_DIR [--out FILE] [--split val|test]`: prints the path; exit codes 0 and 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import parse_page, section, train_tiny_run

from cnnstudio.cli.main import main


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("report_cli"), "retail.products")


def test_report_command_writes_the_file_and_prints_its_path(run, tmp_path, capsys) -> None:
    out = tmp_path / "reports" / "tiny.html"
    assert main(["report", str(run), "--out", str(out), "--split", "test", "--mistakes", "3"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    root = parse_page(out)
    confusion = section(root, "confusion").all_text()
    assert "test images" in confusion
    assert len(section(root, "mistakes").find_all("div", css="card")) <= 3


def test_report_command_defaults_to_the_run_folder(run, capsys) -> None:
    assert main(["report", str(run)]) == 0
    assert capsys.readouterr().out.strip() == str(run / "report.html")
    assert "val images" in section(parse_page(run / "report.html"), "confusion").all_text()


def test_report_command_on_a_folder_that_is_not_a_run_exits_2_naming_it(tmp_path, capsys) -> None:
    folder = tmp_path / "not-a-run"
    folder.mkdir()
    assert main(["report", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("cnnstudio: error:") and "not-a-run" in captured.err and "config.toml" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_report_command_rejects_an_unknown_split(run, capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["report", str(run), "--split", "train"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_report_out_that_is_a_folder_exits_2(run, tmp_path, capsys) -> None:
    assert main(["report", str(run), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
