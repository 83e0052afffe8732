"""The Runs tab's rows: what each run folder shows, and what Resume can do for it.

Reading a folder imports torch (via ``cnnstudio.core.runs.folder``), so the tab calls
``list_run_rows`` on a worker thread.
"""

from __future__ import annotations

import json
from pathlib import Path

from cnnstudio.core.errors import CNNStudioError

COLUMNS = ("Name", "Dataset", "Head", "Epochs", "Best val metric", "Created", "Status")  # Status last: it can be long


def describe_run(path: Path) -> dict[str, str]:
    """One table row for a run folder; a damaged folder gives status "damaged: <reason>"."""
    from cnnstudio.core.runs.folder import STATE_FILE, SUMMARY_FILE, RunFolder

    run = RunFolder(path)
    row = {"path": str(path), "Name": run.name, "Dataset": "", "Head": "", "Status": "", "Epochs": "",
           "Best val metric": "", "Created": ""}
    try:
        config = run.load_config()
        info = run.read_info()
    except CNNStudioError as error:
        # The row already names the folder: keep the reason relative to it.
        reason = str(error).replace(f"{path}/", "").replace(f"{path}: ", "")
        row["Status"] = f"damaged: {reason}"
        return row
    head = str(info.get("head_id", config.head.id or ""))
    records = run.read_metrics()
    # The dataset's title ("photos", "Retail product photos"): a folder's whole path would hide the Status column.
    row.update(Dataset=str(info.get("dataset_title") or info.get("dataset_id", config.dataset.id)), Head=head, Status=run.status,
               Created=str(info.get("created", ""))[:19].replace("T", " "))
    row["Dataset tip"] = str(info.get("dataset_id", config.dataset.id))
    if row["Status"] == "interrupted":
        row["Status tip"] = ("The process that trained this run stopped without recording an end (killed, crashed, "
                             "or the computer stopped). Select it to resume, finish or start it again.")
    row["has_checkpoint"] = "yes" if run.file(STATE_FILE).is_file() else ""
    row["has_summary"] = "yes" if run.file(SUMMARY_FILE).is_file() else ""
    done = max((int(r.get("epoch", 0)) for r in records), default=0)
    row["Epochs"] = f"{done} / {config.training.epochs}"
    best = [r for r in records if r.get("is_best")]
    if best:
        metrics = best[-1].get("metrics", {})
        name = str(info.get("primary_metric", "accuracy"))  # the head's, recorded by the trainer
        key = f"val_{name}" if f"val_{name}" in metrics else "val_accuracy"
        if key in metrics:
            row["Best val metric"] = f"{key[4:]} {float(metrics[key]):.3f} (epoch {best[-1].get('epoch')})"
    return row


RESUME_ACTIONS = {
    "resume": ("Resume", "Continue this stopped run from its last checkpoint to its planned epochs, in its own "
                         "folder, with its own config and dataset."),
    "finish": ("Finish", "This run trained all its epochs but was stopped before its final evaluation: evaluate "
                         "its best checkpoint and write its summary."),
    "restart": ("Start again", "This run stopped before it saved its first checkpoint, so there is nothing to "
                               "continue: train it again from the start, in the same folder."),
}


def resume_action(row: dict[str, str]) -> str:
    """What Resume can do for a run that ended early: "resume", "finish", "restart", or "" (nothing)."""
    if row.get("Status") not in ("cancelled", "failed", "interrupted"):
        return ""
    if not row.get("has_checkpoint"):
        return "restart"
    try:
        done, planned = (int(part) for part in row.get("Epochs", "").split("/"))
    except ValueError:
        return ""
    if done < planned:
        return "resume"
    return "finish" if not row.get("has_summary") or row.get("Status") == "interrupted" else ""


def resumable(row: dict[str, str]) -> bool:
    """Whether Resume has something to do for this run (see ``resume_action``)."""
    return bool(resume_action(row))


def list_run_rows(root: Path | None) -> list[dict[str, str]]:
    """Rows for every run under ``root`` (the default workspace when None), newest first."""
    from cnnstudio.core.runs.folder import default_runs_root, list_runs

    rows = []
    for run in reversed(list_runs(root if root is not None else default_runs_root())):
        try:
            rows.append(describe_run(run.path))
        except (OSError, ValueError, json.JSONDecodeError) as error:  # an unreadable folder: still a row
            rows.append({"path": str(run.path), "Name": run.name, "Status": f"damaged: {error}"})
    return rows
