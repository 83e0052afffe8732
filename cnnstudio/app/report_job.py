"""Write a run's self-contained HTML report: evaluate its model through the plugins, render, write.

    result = report_job(run_dir)                       # RUN_DIR/report.html, on the validation split
    result = report_job(run_dir, out="r.html", split="test", mistakes=4)
    result.path, result.unavailable                    # "" when the model's sections are in the report
    path = write_report(run_dir)                       # the same, as the written file's path

The CLI (``cnnstudio report``) and the GUI's File > Write report (in a child
process) both call it. A folder that is not a run raises ``RunError`` naming
it, a bad split or an output path that is a folder ``ConfigError``; a run
whose model cannot be evaluated (no checkpoint yet, its dataset gone) still
gets a report, which says why those sections are missing. Torch is imported
only when a job runs, so the GUI can import this module to name the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.core.errors import CNNStudioError, ConfigError

if TYPE_CHECKING:
    from cnnstudio.core.report.findings import ModelFindings
    from cnnstudio.core.runs.folder import RunFolder


@dataclass(frozen=True)
class ReportResult:
    """A written report: where it is, the split it evaluated, and why the model's sections are missing, if they are."""

    path: Path
    split: str
    unavailable: str = ""  # why the model's sections say "Not available" ("" when they are there)

    @property
    def evaluated(self) -> bool:
        """The report has the model's sections (confusion, per class, threshold, filters, mistakes)."""
        return not self.unavailable


def report_job(
    run_dir: str | Path, out: str | Path | None = None, split: str = "val", manager: Any | None = None,
    mistakes: int = 12,
) -> ReportResult:
    """Write the run's HTML report to ``out`` (default RUN_DIR/report.html) showing the ``mistakes`` worst mistakes."""
    from cnnstudio.core.atomic import atomic_write_text
    from cnnstudio.core.report.render import REPORT_FILE, REPORT_SPLITS, check_run_folder, render_report

    if split not in REPORT_SPLITS:
        raise ConfigError(f"split must be one of {', '.join(REPORT_SPLITS)}, got {split!r}")
    run = check_run_folder(run_dir)
    target = Path(out).expanduser() if out is not None else run.path / REPORT_FILE
    if target.is_dir():
        raise ConfigError(f"--out {target} is a folder; give a file name such as {target / REPORT_FILE}")
    findings, unavailable = evaluate_for_report(run, split, manager, mistakes)
    atomic_write_text(target, render_report(run, findings, unavailable))
    return ReportResult(target, split, unavailable)


def write_report(
    run_dir: str | Path, out: str | Path | None = None, split: str = "val", manager: Any | None = None,
    mistakes: int = 12,
) -> Path:
    """``report_job``'s written file (for scripts and tests)."""
    return report_job(run_dir, out, split, manager, mistakes).path


def evaluate_for_report(run: RunFolder, split: str, manager: Any | None, limit: int) -> tuple[ModelFindings | None, str]:
    """(the model's findings on ``split``, "") or (None, why they cannot be made)."""
    from cnnstudio.app.runner import load_run_model, prepare
    from cnnstudio.core.evaluate.evaluation import evaluate
    from cnnstudio.core.report.findings import model_findings

    try:
        run.checkpoint()  # best, else last (a run stopped before its first best)
        model = load_run_model(run.path, manager=manager)
        _, imageset, _ = prepare(model.config, manager)
        report = evaluate(model, imageset, split=split)
    except CNNStudioError as error:
        return None, str(error)
    return model_findings(model, report, limit), ""
