"""Training memory, estimated from the config and the dataset's options before anything is allocated.

A run holds, at its peak:

- the dataset as loaded: ``images x 3 x size x size`` bytes (uint8), plus one
  byte per pixel of defect masks (on DISK, not in memory, for a folder above its
  ``in_memory_limit_mb``: the images and their copies are memory-mapped files);
- its copies at ``model.input_size``: the resized copy (only when the sizes
  differ) and the training/validation/test splits, which index into it and so
  copy it once more (``fit_session.prepare_fit_data``);
- the model: parameters, their gradients and the optimizer's state
  (Adam keeps 2 values per parameter, SGD with momentum 1), float32;
- activations: a training batch keeps every layer's output for the backward
  pass; measured peaks on the CPU were 1.1-1.5x the layer table's forward
  bytes times the batch, so ``ACTIVATION_FACTOR`` = 2 leaves room for the
  augmented and normalised copies of the batch. Evaluation runs batches of
  ``EVAL_BATCH`` images without gradients: about two consecutive layer outputs
  alive at a time (measured 1.9-2.4x the widest layer's output, so
  ``EVAL_FACTOR`` = 2.5). The larger of the two counts.

The layer table (``core.summary``, built on the ``meta`` device) supplies the
shapes and parameter counts, so nothing here allocates or builds a model.
``check_memory`` turns an estimate and the memory available into a refusal
or a warning in words, naming the biggest part and the setting that lowers it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BYTES_PER_VALUE = 4  # float32
ACTIVATION_FACTOR = 2  # forward outputs kept for backward, plus the gradients flowing back (see above)
EVAL_BATCH = 256  # evaluation.evaluate_tensors' batch
EVAL_FACTOR = 2.5  # the widest layer's output, times this, is alive at once without gradients
OPTIMIZER_STATES = {"adam": 2, "sgd": 1}  # values kept per parameter (Adam: two moments; SGD: momentum)
WARN_SHARE = 0.6  # warn above this share of the available memory; refuse above all of it

MEMORY = "memory"  # the computer's memory (RAM)
ACCELERATOR = "accelerator"  # a CUDA GPU's own memory
DISK = "disk"  # a memory-mapped file: a folder above its in_memory_limit_mb (core/data/disk_images.py)


@dataclass(frozen=True)
class MemoryPart:
    """One item of an estimate: ``key`` (dataset, copies, parameters, gradients, optimizer, and activations
    of a training batch or evaluation, the bigger of the two),
    a label for people, its bytes, the detail behind the number and where it lives (MEMORY or ACCELERATOR)."""

    key: str
    label: str
    bytes: int
    detail: str = ""
    place: str = MEMORY


@dataclass(frozen=True)
class MemoryEstimate:
    parts: tuple[MemoryPart, ...]
    dataset_hint: str = "dataset.options.count or size"  # what lowers the dataset part
    flattens: bool = False  # the classifier reads the whole flattened map (global_pool "none")

    def remedy(self, place: str | None = None) -> str:
        """What to lower, for the biggest part (in ``place``): "lower dataset.options.count or size, ..."."""
        return _remedy(self.biggest(place).key, self.dataset_hint, self.flattens)

    def field(self, place: str | None = None) -> str:
        """The config field that lowers the biggest part (in ``place``), e.g. "training.batch_size"."""
        key = self.biggest(place).key
        if key == "dataset":
            return "dataset.options.count" if "count" in self.dataset_hint else "dataset.options.size"
        return _REMEDY_FIELDS.get(key, "")

    @property
    def total(self) -> int:
        """Bytes of memory (RAM and GPU); parts kept on disk are not counted."""
        return sum(part.bytes for part in self.parts if part.place != DISK)

    def bytes_in(self, place: str) -> int:
        return sum(part.bytes for part in self.parts if part.place == place)

    def part(self, key: str) -> MemoryPart | None:
        return next((part for part in self.parts if part.key == key), None)

    def biggest(self, place: str | None = None) -> MemoryPart:
        parts = [p for p in self.parts if place is None or p.place == place] or list(self.parts)
        return max(parts, key=lambda part: part.bytes)

    def describe(self, place: str | None = None, most: int = 3) -> str:
        """"about 146 GiB (dataset: 200,000 images of 512x512 = 146 GiB; model activations: 1.2 GiB)"."""
        parts = sorted((p for p in self.parts if (place is None or p.place == place) and p.bytes > 0),
                       key=lambda part: -part.bytes)
        total = sum(part.bytes for part in parts)
        shown = [p for p in parts if p.bytes >= total / 100][:most] or parts[:1]
        items = []
        for index, part in enumerate(shown):
            if index == 0 and part.detail:
                items.append(f"{part.label}: {part.detail} = {format_bytes(part.bytes)}")
            else:
                items.append(f"{part.label}: {format_bytes(part.bytes)}")
        return f"about {format_bytes(total)} ({'; '.join(items)})" if items else f"about {format_bytes(total)}"

    def line(self) -> str:
        """One short line for the summary and the Model tab: the total and every part."""
        parts = ", ".join(f"{p.label} {format_bytes(p.bytes)}" for p in self.parts if p.bytes > 0 and p.place != DISK)
        disk = self.bytes_in(DISK)
        on_disk = f"; on disk: {format_bytes(disk)}" if disk else ""
        return f"Training memory: about {format_bytes(self.total)} ({parts}){on_disk}"


@dataclass(frozen=True)
class MemoryVerdict:
    severity: str  # "error" (it cannot fit: refuse) | "warning" (over WARN_SHARE of what is free)
    message: str
    field: str  # the setting that lowers the biggest part, e.g. "dataset.options.count"


def estimate_training_memory(
    config: Any,
    dataset_images: int | None,
    dataset_size: int | None,
    *,
    num_classes: int = 2,
    head_build: Any = None,
    masks: bool = False,
    accelerator: bool = False,
    summary: Any = None,
    dataset_hint: str = "dataset.options.count or size",
    on_disk: bool = False,
) -> MemoryEstimate:
    """The memory a training run of ``config`` (a RunConfig) needs at its peak, part by part.

    ``dataset_images`` and ``dataset_size`` describe the dataset as it loads (None when unknown:
    the dataset parts are left out); ``masks`` adds a byte per pixel (defect datasets).
    ``accelerator`` puts the model's parts on a GPU rather than in the computer's memory.
    ``summary`` is the config's ModelSummary when the caller has it (else it is computed, on ``meta``).
    ``dataset_hint`` names what lowers the dataset ("dataset.options.count or size").
    ``on_disk``: the images load into a memory-mapped file (``dataset_on_disk``), so the dataset and its
    copies are placed on DISK and count against no memory.
    """
    model, training = config.model, config.training
    if summary is None:
        from cnnstudio.core.model.summary import summarize

        summary = summarize(model, num_classes, config.head.options, head_build=head_build)
    model_place = ACCELERATOR if accelerator else MEMORY
    input_size = int(model.input_size)
    parts: list[MemoryPart] = []

    images = int(dataset_images) if dataset_images else 0
    if images and dataset_size:
        size = int(dataset_size)
        per_pixel = 3 + (1 if masks else 0)
        data_place = DISK if on_disk else MEMORY
        parts.append(MemoryPart("dataset", "dataset on disk" if on_disk else "dataset",
                                images * per_pixel * size * size, f"{images:,} images of {size}x{size}", data_place))
        copies = 1 if size == input_size else 2  # the splits, and the resized copy when the sizes differ
        what = "the split copy" if copies == 1 else "the resized copy and its splits"
        parts.append(MemoryPart("copies", f"copies at {input_size}x{input_size}",
                                copies * images * per_pixel * input_size * input_size,
                                f"{what}, {images:,} images of {input_size}x{input_size}", data_place))

    params = int(summary.total_params)
    states = OPTIMIZER_STATES.get(str(training.optimizer), 2)
    parts.append(MemoryPart("parameters", "parameters", params * BYTES_PER_VALUE, f"{params:,} float32 values",
                            model_place))
    parts.append(MemoryPart("gradients", "gradients", params * BYTES_PER_VALUE, "one per parameter", model_place))
    optimizer = "Adam's two moments" if states == 2 else "SGD's momentum"
    parts.append(MemoryPart("optimizer", "optimizer state", states * params * BYTES_PER_VALUE,
                            f"{optimizer} per parameter", model_place))

    input_bytes = 3 * input_size * input_size * BYTES_PER_VALUE
    batch = int(training.batch_size)
    if images:  # a batch is at most the training split
        train_share = 1.0 - float(training.val_fraction) - float(training.test_fraction)
        batch = min(batch, max(1, int(images * train_share)))
    train_bytes = batch * ACTIVATION_FACTOR * (int(summary.activation_bytes) + 2 * input_bytes)
    widest = max((int(row.activation_bytes) for row in summary.rows), default=0)
    eval_batch = min(EVAL_BATCH, images) if images else EVAL_BATCH
    eval_bytes = eval_batch * (int(EVAL_FACTOR * widest) + 2 * input_bytes)
    if train_bytes >= eval_bytes:
        key = "activations"
        detail = f"a training batch of {batch} images of {input_size}x{input_size}, forward and backward"
    else:
        key, detail = "evaluation", f"an evaluation batch of {eval_batch} images of {input_size}x{input_size}"
    parts.append(MemoryPart(key, "model activations", max(train_bytes, eval_bytes), detail, model_place))
    options = config.head.options if isinstance(config.head.options, dict) else {}
    flattens = options.get("global_pool", model.global_pool) == "none" and summary.classifier_head
    return MemoryEstimate(tuple(parts), dataset_hint, flattens)


_REMEDY_FIELDS = {
    "copies": "model.input_size",
    "activations": "training.batch_size",
    "evaluation": "model.input_size",
    "parameters": "model.conv_layers",
    "gradients": "model.conv_layers",
    "optimizer": "model.conv_layers",
}


def _remedy(biggest: str, dataset_hint: str, flattens: bool) -> str:
    if biggest == "dataset":
        return f"lower {dataset_hint}, model.input_size or training.batch_size"
    if biggest == "copies":
        return f"lower model.input_size or {dataset_hint}"
    if biggest == "activations":
        return "lower training.batch_size or model.input_size, or use fewer filters"
    if biggest == "evaluation":  # evaluation's batch is fixed: only the model's size lowers it
        return f"lower model.input_size or use fewer filters (evaluation runs batches of {EVAL_BATCH} images)"
    if flattens:
        return ("set model.global_pool to max or avg so the classifier does not read every pixel, "
                "or use fewer filters in model.conv_layers")
    return "use fewer filters in model.conv_layers"


def check_memory(
    estimate: MemoryEstimate, available: int | None, accelerator_available: int | None = None,
) -> MemoryVerdict | None:
    """An error when the run needs more than ``available`` bytes, a warning above WARN_SHARE of it, else None.

    ``accelerator_available`` is the GPU's free memory, for the parts placed there (None: not checked).
    """
    verdict = None
    for place, free, where in ((MEMORY, available, ""), (ACCELERATOR, accelerator_available, " on the GPU")):
        need = estimate.bytes_in(place)
        if free is None or need <= 0:
            continue
        if need > free:
            return MemoryVerdict(
                "error",
                f"this run needs {estimate.describe(place)}{where} but {format_bytes(free)} is available: "
                f"{estimate.remedy(place)}",
                estimate.field(place),
            )
        if verdict is None and need > WARN_SHARE * free:
            verdict = MemoryVerdict(
                "warning",
                f"this run needs {estimate.describe(place)}{where}, {need / free:.0%} of the "
                f"{format_bytes(free)} available: the computer may slow down or run out of memory; "
                f"{estimate.remedy(place)} to leave room",
                estimate.field(place),
            )
    return verdict


def available_memory() -> int | None:
    """Bytes this process can still take: /proc/meminfo's MemAvailable (or the free pages), within a cgroup limit."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for text in handle:
                if text.startswith("MemAvailable:"):
                    found.append(int(text.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            pass
    limit = _cgroup_room()
    if limit is not None:
        found.append(limit)
    return min(found) if found else None


def _cgroup_room() -> int | None:
    """A container's memory limit minus its use (cgroup v2, then v1), or None without one."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit_text = Path(limit_file).read_text().strip()
            if limit_text == "max":
                return None
            limit, usage = int(limit_text), int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit >= 2**60:  # cgroup v1's "no limit"
            return None
        return max(0, limit - usage)
    return None


def dataset_figures(dataset_spec: Any, options: dict[str, Any]) -> tuple[int | None, int | None, str]:
    """(images, size, what lowers them) of a dataset before it loads: ``count`` and ``size`` of a generated
    one, the image files of a folder (counted by name, nothing decoded) at its ``size``; None where unknown.

    ``dataset_spec`` is a DatasetSpec and ``options`` its resolved options.
    """
    from cnnstudio.core.data.dataset_ids import dataset_folder
    from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS

    size, count = options.get("size"), options.get("count")
    auto = size == "auto"  # a folder loaded at its images' own size
    size = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None
    if isinstance(count, int) and not isinstance(count, bool):
        return count, size, "dataset.options.count or size"
    try:
        folder = dataset_folder(dataset_spec.id)
        if folder is not None and folder.is_dir():
            images = count_image_files(folder, IMAGE_EXTENSIONS)
            if auto:
                from cnnstudio.core.data.standard_options import resolve_folder_size

                size = resolve_folder_size("auto", folder, str(options.get("resize", "pad")))
            return images, size, "the images in the folder or dataset.options.size"
    except (OSError, ValueError):
        pass
    return None, size, "dataset.options.size"


def dataset_on_disk(dataset_spec: Any, options: dict[str, Any], images: int | None, size: int | None,
                    available: int | None = None) -> bool:
    """Whether the dataset loads into a memory-mapped file: it offers ``in_memory_limit_mb``
    (``core/data/memory_limit.py``) and its decoded images are above that limit."""
    from cnnstudio.core.data.memory_limit import OPTION_NAME, decoded_bytes, in_memory_limit_bytes

    offered = any(getattr(option, "name", "") == OPTION_NAME for option in getattr(dataset_spec, "options", ()))
    if not offered or not images or not size:
        return False
    limit = in_memory_limit_bytes(options.get(OPTION_NAME), available_memory() if available is None else available)
    return decoded_bytes(images, size) > limit


def check_dataset_fits(dataset_spec: Any, options: dict[str, Any], available: int | None = None) -> None:
    """ConfigError when the dataset alone, as it would load, is larger than the memory available
    (``available``, else ``available_memory()``): for a front end about to load it, before it does.
    A dataset that loads into a memory-mapped file (``dataset_on_disk``) always fits."""
    from cnnstudio.core.errors import ConfigError

    images, size, hint = dataset_figures(dataset_spec, options)
    if not images or not size or dataset_on_disk(dataset_spec, options, images, size, available):
        return
    need = images * (3 + (1 if getattr(dataset_spec, "task", "") == "defect" else 0)) * size * size
    free = available_memory() if available is None else available
    if free is not None and need > free:
        raise ConfigError(
            f"{dataset_spec.id} would take {format_bytes(need)} of memory ({images:,} images of {size}x{size}) "
            f"but {format_bytes(free)} is available: lower {hint}"
        )


def memory_report(config: Any, manager: Any, summary: Any = None, num_classes: int = 2, head_build: Any = None) -> list[str]:
    """Lines for ``cnnstudio summary``: the training memory of ``config`` (a RunConfig) with its dataset,
    found through ``manager`` (the plugin manager), and a warning when it would not fit, or nearly fill,
    the memory available now. Imports nothing heavy (no torch when ``summary`` is given)."""
    from cnnstudio.core.errors import CNNStudioError

    images = size = None
    hint, masks, dataset, on_disk = "dataset.options.count or size", False, "an unknown dataset", False
    try:
        dataset_spec = manager.dataset(config.dataset.id)
        options = dataset_spec.resolve_options(config.dataset.options)
        images, size, hint = dataset_figures(dataset_spec, options)
        masks = dataset_spec.task == "defect"
        on_disk = dataset_on_disk(dataset_spec, options, images, size)
        dataset = dataset_spec.id + (f", {images:,} images of {size}x{size}" if images and size else "")
    except (CNNStudioError, OSError):
        pass  # the estimate then leaves the dataset out
    estimate = estimate_training_memory(
        config, images, size, num_classes=num_classes, head_build=head_build, masks=masks,
        summary=summary, dataset_hint=hint, on_disk=on_disk,
    )
    available = available_memory()
    room = f"; {format_bytes(available)} available now" if available is not None else ""
    lines = [f"{estimate.line()}, for {dataset}, batch {config.training.batch_size}, "
             f"{config.training.optimizer}{room}"]
    verdict = check_memory(estimate, available)
    if verdict is not None:
        what = "training would not fit" if verdict.severity == "error" else "training would take most of the memory"
        lines.append(f"WARNING: {what}: {verdict.message}")
    return lines


def count_image_files(folder: Path, extensions: tuple[str, ...], skip: tuple[str, ...] = ("ground_truth",)) -> int:
    """Image files under ``folder`` and its sub-folders, by name only (nothing is opened); hidden ones
    and ``skip`` folders (MVTec-AD's masks) are left out."""
    count = 0
    for _root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in skip]
        count += sum(1 for name in files if not name.startswith(".") and name.lower().endswith(extensions))
    return count


def format_bytes(value: int | float) -> str:
    """"146 GiB", "1.2 GiB", "310 MiB", "12 KiB"."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            amount = value / scale
            return f"{amount:.0f} {unit}" if amount >= 10 else f"{amount:.1f} {unit}"
    return f"{int(value)} B"
