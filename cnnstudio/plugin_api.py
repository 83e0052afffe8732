"""The public plugin API: everything a plugin may import from CNN Studio.

Cheap names (``hookimpl``, the descriptors, errors) import immediately;
``ImageSet``, ``Head``, ``Targets`` and the built-in heads pull in torch,
so they load lazily on first use and registering a plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from cnnstudio.core.data.dataset_ids import folder_dataset_id
from cnnstudio.core.errors import CNNStudioError, ConfigError, DatasetError, NeedsLabelsError
from cnnstudio.core.specs import (
    NORMAL_CLASS_NAMES,
    TASKS,
    DatasetOption,
    DatasetSpec,
    HeadSpec,
    LabelKindSpec,
    class_order,
)
from cnnstudio.host.hookspecs import hookimpl
from cnnstudio.host.plugin_files import private_module

_LAZY = {
    "ImageSet": "cnnstudio.core.data.imageset",
    "SkippedFile": "cnnstudio.core.data.imageset",
    "ANY_SPLIT": "cnnstudio.core.data.imageset",
    "TRAIN_ONLY": "cnnstudio.core.data.imageset",
    "EVAL_ONLY": "cnnstudio.core.data.imageset",
    "Head": "cnnstudio.core.model.heads",
    "Targets": "cnnstudio.core.model.heads",
    "ClassificationHead": "cnnstudio.core.model.heads",
    "classification_metrics": "cnnstudio.core.model.heads",
    "metrics": "cnnstudio.core.evaluate",
    "pixel_metrics": "cnnstudio.core.evaluate",
    "detection_metrics": "cnnstudio.core.evaluate.detection",
    "events": "cnnstudio.core",
    "standard_options": "cnnstudio.core.data.standard_options",
    "folder_options": "cnnstudio.core.data.standard_options",
    "IMAGE_EXTENSIONS": "cnnstudio.core.data.standard_options",
    "RESIZE_POLICIES": "cnnstudio.core.data.standard_options",
    "resolve_folder_size": "cnnstudio.core.data.standard_options",
    "in_memory_limit_option": "cnnstudio.core.data.memory_limit",
    "import_class_folders": "cnnstudio.core.data.folder_import",
    "read_image": "cnnstudio.core.data.image_io",
    "fit_image": "cnnstudio.core.data.image_io",
    "fit_geometry": "cnnstudio.core.data.image_io",
    "fit_mask": "cnnstudio.core.data.image_io",
    "fit_boxes": "cnnstudio.core.data.image_io",
    "FitGeometry": "cnnstudio.core.data.image_io",
    "decode_in_parallel": "cnnstudio.core.data.parallel_decode",
    "import_labelled_folder": "cnnstudio.core.labels.labelled_import",
    "labelled_folder_summary": "cnnstudio.core.labels.labelled_summary",
    "LABEL_FILE_NAME": "cnnstudio.core.labels.label_file",
    "EXPORT_PREFIX": "cnnstudio.core.labels.folder_images",
    "DEFAULT_THRESHOLD": "cnnstudio.core.model.decision",
    "validate_threshold": "cnnstudio.core.model.decision",
    "decide": "cnnstudio.core.model.decision",
    "shown": "cnnstudio.core.shorten",
    "shorten": "cnnstudio.core.shorten",
}

__all__ = [
    "hookimpl", "DatasetSpec", "DatasetOption", "HeadSpec", "LabelKindSpec", "TASKS", "NORMAL_CLASS_NAMES",
    "class_order", "private_module",
    "folder_dataset_id",
    "CNNStudioError", "ConfigError", "DatasetError", "NeedsLabelsError", *_LAZY,
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"cnnstudio.plugin_api has no attribute {name!r}")
    module = importlib.import_module(module_name)
    return getattr(module, name) if hasattr(module, name) else importlib.import_module(f"{module_name}.{name}")
