"""The labels a run trained on, kept in its folder, and how they changed since the last run.

Training a labelled folder copies its label file into the run (``labels.json``),
so a later run can say "12 newly labelled, 3 relabelled since the last run",
and a run always shows what it learnt from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.labels.changes import LabelChanges, label_changes
from cnnstudio.core.labels.folder_images import list_folder_images
from cnnstudio.core.labels.label_file import label_file_path, read_label_file
from cnnstudio.core.runs.folder import list_runs

RUN_LABELS_FILE = "labels.json"


def record_run_labels(run_dir: Path, folder: Path) -> bool:
    """Copy ``folder``'s label file into the run; False when the folder has none."""
    source = label_file_path(folder)
    if not source.is_file():
        return False
    shutil.copyfile(source, Path(run_dir) / RUN_LABELS_FILE)
    return True


def changes_since_last_run(runs_root: Path | None, dataset_id: str, folder: Path,
                           exclude: Path | None = None) -> LabelChanges | None:
    """How ``folder``'s labels changed since the newest run of ``dataset_id`` that recorded its labels.

    None when the folder has no label file or no earlier run recorded labels. ``exclude`` is the run
    being started (already in the runs folder).
    """
    if not label_file_path(folder).is_file():
        return None
    images = list_folder_images(folder)
    for run in reversed(list_runs(runs_root)):
        if exclude is not None and run.path == Path(exclude):
            continue
        try:
            if run.read_info().get("dataset_id") != dataset_id or not run.file(RUN_LABELS_FILE).is_file():
                continue
            before = read_label_file(folder, images, run.file(RUN_LABELS_FILE))
            now = read_label_file(folder, images)
        except CNNStudioError:
            continue  # a damaged run or label file: compare with an older run
        if before is None or now is None:
            return None
        return label_changes(before.counted(), now.counted())
    return None
