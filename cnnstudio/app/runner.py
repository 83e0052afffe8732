"""Ties plugins to the core: find a run's dataset and head, then train, resume or evaluate.

The CLI and the GUI's training process both call these; the core itself never
imports the plugin manager.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.dataset_ids import dataset_folder
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.errors import CNNStudioError, ConfigError, DatasetError
from cnnstudio.core.evaluate.evaluation import EvaluationReport, evaluate
from cnnstudio.core.evaluate.prediction import TrainedModel, load_trained_model
from cnnstudio.core.events import Event, RunFinished
from cnnstudio.core.labels.run_labels import changes_since_last_run, record_run_labels
from cnnstudio.core.model.memory_budget import (
    MemoryEstimate,
    available_memory,
    check_memory,
    dataset_figures,
    dataset_on_disk,
    estimate_training_memory,
)
from cnnstudio.core.runs.folder import STATE_FILE, RunFolder, default_runs_root, new_run_dir
from cnnstudio.core.specs import DatasetSpec, HeadSpec
from cnnstudio.core.train.distributed import World, join_world
from cnnstudio.core.train.resume_state import attempt
from cnnstudio.core.train.trainer import Trainer

Observer = Callable[[Event], None]
log = logging.getLogger(__name__)


def _manager(manager: Any | None) -> Any:
    if manager is not None:
        return manager
    from cnnstudio.host.manager import get_plugin_manager

    return get_plugin_manager()


def prepare(
    config: RunConfig, manager: Any | None = None, memory_notes: list[tuple[str, str]] | None = None,
) -> tuple[DatasetSpec, ImageSet, HeadSpec]:
    """The dataset spec, the loaded ImageSet and the head spec of ``config``.

    With ``memory_notes`` (a list: training) the run's memory is estimated first, before the dataset
    is generated or loaded: a run that cannot fit raises ConfigError, one that nearly fills the
    memory adds a note (code, message) to the list.
    """
    manager = _manager(manager)
    config.validate()
    dataset_spec = manager.dataset(config.dataset.id)
    options = dataset_spec.resolve_options(config.dataset.options)
    head_spec = resolve_head(config, dataset_spec, manager)
    if memory_notes is not None:
        memory_notes.extend(check_training_memory(config, dataset_spec, options, head_spec))
    imageset = dataset_spec.load(options)
    if not isinstance(imageset, ImageSet):
        raise DatasetError(f"dataset {dataset_spec.id}: its loader returned {type(imageset).__name__}, not an ImageSet")
    return dataset_spec, imageset, head_spec


def training_memory(
    config: RunConfig, dataset_spec: DatasetSpec, options: dict[str, Any], head_spec: HeadSpec | None,
    accelerator: bool = False, summary: Any = None, num_classes: int | None = None,
) -> MemoryEstimate:
    """The estimated peak memory of training ``config`` on this dataset (nothing is allocated)."""
    images, size, hint = dataset_figures(dataset_spec, options)
    return estimate_training_memory(
        config, images, size,
        num_classes=num_classes or max(2, len(dataset_spec.class_names)),
        head_build=head_spec.build if head_spec is not None else None,
        masks=dataset_spec.task == "defect", accelerator=accelerator, summary=summary, dataset_hint=hint,
        on_disk=dataset_on_disk(dataset_spec, options, images, size),
    )


def _cuda_free(config: RunConfig) -> tuple[bool, int | None]:
    """(trains on a CUDA GPU, its free bytes or None)."""
    import torch

    from cnnstudio.core.train.device import resolve_device

    try:
        device = resolve_device(config.device)
    except ConfigError:  # an unavailable device: the trainer says so
        return False, None
    if device.type != "cuda":
        return False, None
    try:
        return True, int(torch.cuda.mem_get_info()[0])
    except Exception:  # noqa: BLE001 - no figure: the GPU's parts go unchecked
        return True, None


def check_training_memory(
    config: RunConfig, dataset_spec: DatasetSpec, options: dict[str, Any], head_spec: HeadSpec,
) -> list[tuple[str, str]]:
    """ConfigError when training ``config`` cannot fit in the memory available; a ("memory", warning)
    note when it would take most of it; else nothing. Runs before the dataset loads."""
    on_gpu, gpu_free = _cuda_free(config)
    try:
        estimate = training_memory(config, dataset_spec, options, head_spec, accelerator=on_gpu)
    except CNNStudioError:
        raise
    except Exception:  # noqa: BLE001 - a plugin head that cannot be described: estimate with the classifier
        log.warning("memory estimate with the %s head failed:\n%s", head_spec.id, traceback.format_exc())
        estimate = training_memory(config, dataset_spec, options, None, accelerator=on_gpu)
    verdict = check_memory(estimate, available_memory(), gpu_free)
    if verdict is None:
        return []
    if verdict.severity == "error":
        raise ConfigError(verdict.message)
    return [("memory", f"Memory: {verdict.message}.")]


def resolve_head(config: RunConfig, dataset_spec: DatasetSpec, manager: Any | None = None) -> HeadSpec:
    """``head.id``, or the dataset's default head; it must serve the dataset's task."""
    manager = _manager(manager)
    head_id = config.head.id or dataset_spec.default_head
    head_spec = manager.head(head_id, config.head.options)
    if not head_spec.supports(dataset_spec.task):
        compatible = ", ".join(h.id for h in manager.heads_for_task(dataset_spec.task)) or "none"
        raise ConfigError(
            f"head.id '{head_id}' cannot serve a '{dataset_spec.task}' dataset; compatible heads: {compatible}"
        )
    return head_spec


def adapt_to_dataset(
    config: RunConfig, dataset_spec: DatasetSpec, imageset: ImageSet | None = None, head_spec: HeadSpec | None = None,
) -> tuple[RunConfig, list[tuple[str, str]]]:
    """``config`` with what the dataset rules out turned off, and a note (code, message) for each change.

    With the loaded ``imageset``, model.input_size at its default follows a folder loaded at its own size
    ("auto"), and a model input smaller than the images gets a note with the factor and its cost.
    """
    notes: list[tuple[str, str]] = []
    if imageset is not None:
        config, size_notes = _follow_image_size(config, dataset_spec, imageset, head_spec)
        notes.extend(size_notes)
    if not dataset_spec.mirror_safe and config.training.augment_flip:
        config = replace(config, training=replace(config.training, augment_flip=False))
        notes.append((
            "flip_off",
            f"Horizontal flips are off for {dataset_spec.id}: a mirrored image changes the answer there "
            f"(a mirrored logo or signature is not the real one), so flipping would teach the model wrong labels.",
        ))
    return config, notes


def _follow_image_size(
    config: RunConfig, dataset_spec: DatasetSpec, imageset: ImageSet, head_spec: HeadSpec | None,
) -> tuple[RunConfig, list[tuple[str, str]]]:
    from cnnstudio.core.model.input_size import followed_input_size, shrink_note

    images = getattr(imageset, "images", None)
    if images is None or getattr(images, "ndim", 0) != 4:
        return config, []
    loaded = int(images.shape[-1])
    option = dataset_spec.resolve_options(config.dataset.options).get("size")
    followed = followed_input_size(config.model.input_size, option, loaded)
    if followed is not None:
        config = replace(config, model=replace(config.model, input_size=followed))
        return config, [("input_size", (
            f"model.input_size follows the images: they load at their own size ({loaded} px, "
            f"dataset.options.size = \"auto\"), so the model takes {loaded} x {loaded} pixels; "
            f"set model.input_size to choose another size."))]
    note = shrink_note(config.model, loaded, max(2, len(imageset.class_names)),
                       head_spec.build if head_spec is not None else None, config.head.options)
    return config, [("input_shrunk", note)] if note else []


def _record_dataset(run_dir: Path, dataset_spec: DatasetSpec, options: dict[str, Any], head_spec: HeadSpec) -> None:
    RunFolder(run_dir).update_info(
        dataset_id=dataset_spec.id, dataset_title=dataset_spec.title, dataset_task=dataset_spec.task,
        dataset_options=options, head_id=head_spec.id,
    )


def train_run(
    config: RunConfig,
    runs_root: Path | None = None,
    run_dir: Path | None = None,
    observers: Sequence[Observer] = (),
    stop_requested: Callable[[], bool] | None = None,
    manager: Any | None = None,
    extra_notes: Sequence[tuple[str, str]] = (),
    **trainer_options: Any,
) -> RunFinished:
    """Train ``config`` into ``run_dir`` (or a new folder under ``runs_root``); ``extra_notes`` are shown as advice.

    Started by torchrun, every process trains its share of each batch and rank 0 alone makes and writes
    the run folder (see ``core/train/distributed.py``).
    """
    manager = _manager(manager)
    world = join_world()
    memory_notes: list[tuple[str, str]] = []
    dataset_spec, imageset, head_spec = _prepare_in_turn(world, config, manager, memory_notes)
    options = dataset_spec.resolve_options(config.dataset.options)
    input_size = config.model.input_size
    config, notes = adapt_to_dataset(config, dataset_spec, imageset, head_spec)
    if config.model.input_size != input_size:  # estimated at the old size: check again at the size it trains at
        memory_notes = check_training_memory(config, dataset_spec, options, head_spec)
    notes = [*extra_notes, *memory_notes, *notes, *_label_notes(runs_root, dataset_spec)]
    if run_dir is None and world.is_main:
        label = f"{Path(dataset_spec.id).name}-{config.model.preset}"
        run_dir = new_run_dir(Path(runs_root) if runs_root else default_runs_root(), label)
    run_dir = Path(world.share_object(str(run_dir)))
    trainer = Trainer(
        config, imageset, head_spec, run_dir, observers=[*observers, manager.emit] if world.is_main else [],
        stop_requested=stop_requested, notes=notes, world=world, **trainer_options,
    )
    if not world.is_main:
        return _fit_and_leave(trainer, world)
    run_dir.mkdir(parents=True, exist_ok=True)
    RunFolder(run_dir).save_config(config)  # first: a folder with any other file can always be resumed
    _record_dataset(run_dir, dataset_spec, options, head_spec)
    folder = dataset_folder(dataset_spec.id)
    if folder is not None:
        record_run_labels(run_dir, folder)  # what this run learnt from, for the next run's "since the last run"
    return _fit_and_leave(trainer, world)


def _label_notes(runs_root: Path | None, dataset_spec: DatasetSpec) -> list[tuple[str, str]]:
    """A note saying how a labelled folder's labels changed since its last run (none for other datasets)."""
    folder = dataset_folder(dataset_spec.id)
    if folder is None:
        return []
    changes = changes_since_last_run(runs_root, dataset_spec.id, folder)
    return [("labels", changes.describe())] if changes is not None else []


def resume_run(
    run_dir: Path,
    epochs: int | None = None,
    observers: Sequence[Observer] = (),
    stop_requested: Callable[[], bool] | None = None,
    manager: Any | None = None,
    **trainer_options: Any,
) -> RunFinished:
    """Continue a stopped run from its last epoch (to ``epochs`` in total if given)."""
    manager = _manager(manager)
    run = RunFolder(run_dir)
    world = join_world()
    # Under torchrun rank 0 reads the folder and tells the others (they may run on machines without it).
    plan = world.share_object(attempt(lambda: _resume_plan(run)) if world.is_main else None)
    if isinstance(plan, Exception):
        raise plan
    config, restart = plan
    if restart:
        # Killed before its first checkpoint: nothing was saved to continue from, so train it again, in its folder.
        if epochs is not None:
            config = replace(config, training=replace(config.training, epochs=epochs))
        note = (f"{run.name} stopped before it saved its first checkpoint, so there was nothing to continue "
                f"from: it is trained again from the start, in the same folder.")
        return train_run(config, run_dir=run.path, observers=observers, stop_requested=stop_requested,
                         manager=manager, extra_notes=[("restarted", note)], **trainer_options)
    memory_notes: list[tuple[str, str]] = []
    _, imageset, head_spec = _prepare_in_turn(world, config, manager, memory_notes)
    if memory_notes:
        trainer_options["notes"] = [*trainer_options.get("notes", ()), *memory_notes]
    trainer = Trainer.resume(
        Path(run_dir), imageset, head_spec, epochs=epochs, world=world,
        observers=[*observers, manager.emit] if world.is_main else [], stop_requested=stop_requested,
        **trainer_options,
    )
    return _fit_and_leave(trainer, world)


def _fit_and_leave(trainer: Trainer, world: World) -> RunFinished:
    """``trainer.fit()``; under torchrun every process then waits for rank 0 to finish writing and leaves the
    process group together (a process exiting with the group still open aborts)."""
    finished = trainer.fit()
    world.barrier()
    world.close()
    return finished


def _resume_plan(run: RunFolder) -> tuple[RunConfig, bool]:
    """The run's config, and whether it must be trained again from the start (killed before any checkpoint)."""
    return run.load_config(), not run.file(STATE_FILE).exists() and not run.is_live()


def _prepare_in_turn(
    world: World, config: RunConfig, manager: Any, memory_notes: list[tuple[str, str]],
) -> tuple[DatasetSpec, ImageSet, HeadSpec]:
    """``prepare`` on every process, rank 0 first: a folder is decoded once into the cache the others then read."""
    if not world.is_main:
        world.barrier()
    try:
        return prepare(config, manager, memory_notes)
    finally:
        if world.is_main:
            world.barrier()


def load_run_model(run_dir: Path, which: str = "best", manager: Any | None = None) -> TrainedModel:
    """A run's trained model, with its head taken from the plugins.

    A run stopped before its first best checkpoint gives its last one, with ``model.note`` saying so.
    """
    manager = _manager(manager)
    head_id = str(RunFolder(run_dir).read_info().get("head_id", "classification"))
    return load_trained_model(run_dir, which, head_spec=manager.head(head_id))


def evaluate_run(
    run_dir: Path, dataset: str | None = None, split: str = "test", which: str = "best", manager: Any | None = None
) -> EvaluationReport:
    """Evaluate a run on ``split`` of its own dataset, or of ``dataset`` (an id or folder) with the same classes."""
    manager = _manager(manager)
    model = load_run_model(run_dir, which, manager)
    config = model.config
    if dataset is not None and dataset != config.dataset.id:
        spec = manager.dataset(dataset)
        # Load it the way the run's own data was loaded (size, resize policy...) where the options match.
        known = {option.name for option in spec.options}
        imageset = spec.load(spec.resolve_options({k: v for k, v in config.dataset.options.items() if k in known}))
    else:
        _, imageset, _ = prepare(config, manager)
    return evaluate(model, imageset, split=split)
