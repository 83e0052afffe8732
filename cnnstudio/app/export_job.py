"""Export a run's model (ONNX or TorchScript), check its parity, and return a typed result.

    result = export_job(run_dir, "onnx")              # RUN_DIR/export/model.onnx and model.onnx.parity.json
    result.path, result.report.text(), result.verdict
    path, report = export_run(run_dir, "torchscript", out="m.pt")   # the same, as (path, ParityReport)

The CLI (``cnnstudio export``) and the GUI's export dialog (in a child
process) both call it. A bad run folder, format or output path raises a
``CNNStudioError`` naming it; a file that cannot be written (disk full, file
size limit, read-only folder) raises ``ExportError`` naming the file, and the
old file and its report are then left as they were. Torch is imported only
when a job runs, so the GUI can import this module to name the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.core.errors import ExportError, RunError

if TYPE_CHECKING:
    from cnnstudio.core.export.parity import ParityReport, ParityStatus

EXTENSIONS = {"onnx": "onnx", "torchscript": "pt"}


@dataclass(frozen=True)
class ExportResult:
    """A written model file, the parity check that ran on it, and its report read back from disk."""

    path: Path  # the model file
    format: str  # "onnx" or "torchscript"
    parity_file: Path  # <file>.parity.json beside it
    report: ParityReport  # the check as it ran
    parity: ParityStatus  # the written report checked against the file's hash (``read_parity_report``)
    notes: tuple[str, ...] = ()  # for the person, e.g. "stopped before its first best; using its last checkpoint"

    @property
    def verdict(self) -> str:
        """"passed" or "FAILED" as checked, else why the written report no longer vouches for the file ("stale...")."""
        if self.parity.status in ("passed", "FAILED"):
            return "passed" if self.report.passed else "FAILED"
        return self.parity.message

    @property
    def passed(self) -> bool:
        """The check passed and the file on disk is still the one it checked."""
        return self.verdict == "passed"

    def to_dict(self) -> dict[str, Any]:
        """The result as ``cnnstudio export --json`` prints it: file, parity_file, passed, report, text."""
        return {"file": str(self.path), "parity_file": str(self.parity_file), "passed": self.report.passed,
                "report": self.report.to_dict(), "text": self.report.text()}


def default_output(run_dir: Path, format: str) -> Path:
    """RUN_DIR/export/model.onnx or model.pt (the HTML report looks there)."""
    return Path(run_dir) / "export" / f"model.{EXTENSIONS[format]}"


def export_job(
    run_dir: str | Path, format: str, out: str | Path | None = None, manager: Any | None = None,
    on_note: Callable[[str], None] | None = None,
) -> ExportResult:
    """Export a run's best model to ``out`` (default ``default_output``) and check parity.

    Parity images: the run's validation split (topped up from training to 200).
    ``on_note`` hears each note as soon as it is known (before a later error).
    """
    from cnnstudio.app.runner import load_run_model, prepare
    from cnnstudio.core.export.exporter import check_format, export_model, parity_path
    from cnnstudio.core.export.parity import parity_images, read_parity_report

    format = check_format(format)
    run_dir = Path(run_dir).expanduser()
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: run folder not found")
    if not (run_dir / "run.json").is_file():
        raise RunError(f"{run_dir}: not a run folder (no run.json)")
    path = Path(out).expanduser() if out else default_output(run_dir, format)
    if path.is_dir():
        raise RunError(f"{path}: --out is a folder; give a file name such as {path / ('model.' + EXTENSIONS[format])}")
    trained = load_run_model(run_dir, manager=manager)
    notes = (trained.note,) if trained.note else ()  # a run stopped before its first best exports its last checkpoint
    for note in notes:
        if on_note is not None:
            on_note(note)
    _, imageset, _ = prepare(trained.config, manager)
    images, description = parity_images(trained.config, imageset)
    try:
        path, report = export_model(trained, format, path, images, description)
    except OSError as error:  # disk full, file size limit, read-only folder: the person's to fix
        raise ExportError(describe_write_error(error, path)) from None
    parity_file = parity_path(path)
    return ExportResult(path, format, parity_file, report, read_parity_report(parity_file), notes)


def export_run(
    run_dir: str | Path, format: str, out: str | Path | None = None, manager: Any | None = None,
) -> tuple[Path, ParityReport]:
    """``export_job`` as (path, ParityReport), for scripts and benchmarks."""
    result = export_job(run_dir, format, out, manager)
    return result.path, result.report


def describe_write_error(error: OSError, path: Path) -> str:
    """One line naming the file and the cause: ``cannot write /x/model.onnx: No space left on device``."""
    return f"cannot write {error.filename or path}: {error.strerror or error}"
