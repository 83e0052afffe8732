"""What the Label tab shows when a person opens a folder: its images and the labels they already have."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.labels.folder_images import list_folder_images
from cnnstudio.core.labels.label_file import read_label_file
from cnnstudio.core.labels.label_set import LabelSet
from cnnstudio.core.labels.layout_labels import labels_from_layout


def open_labels(root: Path) -> LabelSet:
    """Every image under ``root`` with its labels: the label file's when there is one (it wins),
    else what the folder's layout says (class folders, YOLO, MVTec-AD), else none yet (kind classes).

    Raises DatasetError naming the label file and field when that file is malformed.
    """
    root = Path(root)
    images = list_folder_images(root)
    saved = read_label_file(root, images)
    if saved is not None:
        return saved
    from_layout = labels_from_layout(root, images)
    if from_layout is not None:
        return from_layout
    return LabelSet(root, "classes", [], images)
