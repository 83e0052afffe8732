"""Export never leaves a truncated file at its target, and a parity report only says "passed" for the
exact file it checked (its sha256): a failed export keeps the old file and report, a changed file is
"stale", an old report without a hash is "unverified", a killed export's temporaries are cleaned up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnstudio.cli.main import main
from cnnstudio.core.export.parity import MISSING, STALE, UNVERIFIED, read_parity_report
from cnnstudio.core.report.model_sections import parity_section, read_parity_files
from tests.export.export_helpers import train_tiny

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A tiny run exported once as ONNX (RUN/export/model.onnx, parity passed); returns the run folder."""
    run = train_tiny(tmp_path_factory.mktemp("export_atomic"), "retail.products", count=60)
    assert main(["export", str(run), "--format", "onnx"]) == 0
    return run


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def copy_export(run: Path, base: Path) -> Path:
    """A run-like folder holding a copy of the run's export/ (for the report's parity section)."""
    copy = base / "copied-run"
    shutil.copytree(run / "export", copy / "export")
    return copy


def test_a_failed_export_keeps_the_old_file_and_report_and_exits_2_naming_the_file(exported) -> None:
    model = exported / "export" / "model.onnx"
    report = exported / "export" / "model.onnx.parity.json"
    before_model, before_report = model.read_bytes(), report.read_bytes()
    assert read_parity_report(report).status == "passed"
    # RLIMIT_FSIZE below the model's size: writing it raises EFBIG (Python ignores SIGXFSZ).
    script = textwrap.dedent(f"""
        import resource, sys
        from cnnstudio.cli.main import main
        resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before_model) // 2}, resource.RLIM_INFINITY))
        sys.exit(main(["export", {str(exported)!r}, "--format", "onnx"]))
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    errors = [line for line in child.stderr.splitlines() if line.strip()]
    assert child.returncode == 2, child.stderr
    assert errors == [f"cnnstudio: error: cannot write {model}: File too large"], child.stderr
    assert model.read_bytes() == before_model and report.read_bytes() == before_report
    assert read_parity_report(report).status == "passed"
    assert temporaries(exported / "export") == []


def test_a_model_file_changed_after_its_check_shows_as_stale_not_passed(exported, tmp_path) -> None:
    copy = copy_export(exported, tmp_path)
    model = copy / "export" / "model.onnx"
    assert read_parity_report(model.with_name("model.onnx.parity.json")).passed
    with open(model, "ab") as handle:
        handle.write(b"\0")
    status = read_parity_report(model.with_name("model.onnx.parity.json"))
    assert status.status == "stale" and status.message == STALE and not status.passed
    html = parity_section(read_parity_files(copy))
    assert STALE in html and ">passed<" not in html
    model.unlink()
    status = read_parity_report(model.with_name("model.onnx.parity.json"))
    assert status.status == "missing" and status.message == MISSING and not status.passed


def test_an_old_report_without_a_hash_is_unverified(exported, tmp_path) -> None:
    copy = copy_export(exported, tmp_path)
    report = copy / "export" / "model.onnx.parity.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len(data["sha256"]) == 64 and data["size"] == (copy / "export" / "model.onnx").stat().st_size
    assert data["file"] == str(exported / "export" / "model.onnx")  # the target, not the temporary file
    del data["sha256"], data["size"]
    report.write_text(json.dumps(data), encoding="utf-8")
    status = read_parity_report(report)
    assert status.status == "unverified" and status.message == UNVERIFIED and not status.passed
    html = parity_section(read_parity_files(copy))
    assert UNVERIFIED in html and ">passed<" not in html
    data["passed"] = False
    report.write_text(json.dumps(data), encoding="utf-8")
    assert read_parity_report(report).status == "FAILED"


def test_a_killed_exports_temporaries_are_removed_by_the_next_export(exported, tmp_path) -> None:
    folder = tmp_path / "ship"
    folder.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    leftovers = [folder / f".shelf.pt.export-{dead_pid}-k1ll3d.tmp", folder / f".shelf.pt.parity.json.export-{dead_pid}-x.tmp"]
    kept = [folder / ".someone-elses.tmp", folder / f".other.pt.export-{os.getpid()}-live.tmp"]
    for path in leftovers + kept:
        path.write_bytes(b"half a model")
    assert main(["export", str(exported), "--format", "torchscript", "--out", str(folder / "shelf.pt")]) == 0
    assert temporaries(folder) == sorted(path.name for path in kept)
    assert read_parity_report(folder / "shelf.pt.parity.json").passed


def test_a_crash_in_the_check_leaves_the_old_files_and_no_temporaries(exported, tmp_path, monkeypatch, capsys) -> None:
    target = tmp_path / "m.pt"
    target.write_bytes(b"the old model")
    (tmp_path / "m.pt.parity.json").write_text('{"passed": true}', encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime fell over")

    monkeypatch.setattr("cnnstudio.core.export.exporter.parity_check", broken)
    assert main(["export", str(exported), "--format", "torchscript", "--out", str(target)]) == 3
    capsys.readouterr()
    assert target.read_bytes() == b"the old model"
    assert (tmp_path / "m.pt.parity.json").read_text(encoding="utf-8") == '{"passed": true}'
    assert temporaries(tmp_path) == []
