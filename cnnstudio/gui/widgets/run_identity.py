"""Which run a tab shows and which dataset Start trains on, in words (read from the run folder, without torch).

    identity = identify_run(run_dir)     # name, its dataset's id and title, epochs, best val accuracy, checkpoint
    run_caption(identity)                # "Run <b>NAME</b> · trained on <b>Retail products</b>" (+ processes, a note)
    opened_message(identity)             # the status-bar line after Runs > Open (or File > Open run folder)
    training_dataset(controller)         # (id, title) of the dataset Start trains on
    same_dataset(controller, identity)   # is the loaded dataset the one this run was trained on?

The analysis tabs show a run, the dataset panel a dataset; these helpers are
the one place that says both, so the two are never silently mixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.core.data.dataset_ids import dataset_folder
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.widgets import palette

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

NOTE_STYLE = f"color:{palette.NOTE}"


@dataclass
class RunIdentity:
    """What a run is, for captions: its folder, dataset, progress and the checkpoint its model loads."""

    path: str
    name: str
    dataset_id: str = ""
    dataset_title: str = ""
    dataset_options: dict[str, Any] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    epochs: int = 0
    best_val_accuracy: float | None = None
    world_size: int = 1  # training processes (torchrun); 1 for a run trained by one process
    weights: str = ""  # "best", "last" (a run stopped before its first best), "" (none yet)
    note: str = ""  # why the weights are not the best ones, or why there are none


def identify_run(run_dir: str | Path, controller: StudioController | None = None) -> RunIdentity:
    """The RunIdentity of ``run_dir``; an unreadable file leaves its fields empty (the tabs say the error)."""
    from cnnstudio.core.runs.folder import RunFolder

    run = RunFolder(run_dir)
    identity = RunIdentity(str(run.path), run.name)
    try:
        info = run.read_info()
    except CNNStudioError:
        info = {}
    dataset_id, options = str(info.get("dataset_id", "")), info.get("dataset_options")
    if not dataset_id or not isinstance(options, dict):
        try:
            config = run.load_config()
            dataset_id, options = dataset_id or config.dataset.id, dict(config.dataset.options)
        except CNNStudioError:
            options = {}
    identity.dataset_id, identity.dataset_options = dataset_id, dict(options or {})
    identity.dataset_title = str(info.get("dataset_title") or dataset_title(dataset_id, controller))
    world_size = info.get("world_size", 1)
    identity.world_size = world_size if isinstance(world_size, int) and world_size > 1 else 1
    names = info.get("class_names")
    identity.class_names = [str(name) for name in names] if isinstance(names, list) else []
    records = run.read_metrics()
    identity.epochs = max((int(r.get("epoch", 0)) for r in records), default=0)
    best = [r for r in records if r.get("is_best") and isinstance(r.get("metrics"), dict)]
    if best and "val_accuracy" in best[-1]["metrics"]:
        identity.best_val_accuracy = float(best[-1]["metrics"]["val_accuracy"])
    try:
        checkpoint = run.checkpoint("best")
        identity.weights, identity.note = checkpoint.which, checkpoint.note
    except CNNStudioError as error:
        identity.note = str(error)
    return identity


def dataset_title(dataset_id: str, controller: StudioController | None = None) -> str:
    """A dataset's title: the loaded or registered spec's, an opened folder's name, else the id itself."""
    if not dataset_id:
        return "an unknown dataset"
    spec = getattr(controller, "spec", None) if controller is not None else None
    if spec is not None and spec.id == dataset_id:
        return str(spec.title or spec.id)
    if controller is not None:
        try:
            registered = controller.manager.datasets().get(dataset_id)
        except Exception:  # noqa: BLE001 - a plugin failing to list: fall back to the id
            registered = None
        if registered is not None:
            return str(registered.title or dataset_id)
    folder = dataset_folder(dataset_id)
    return folder.name if folder is not None and folder.name else dataset_id


def training_dataset(controller: StudioController) -> tuple[str, str]:
    """(id, title) of the dataset Start trains on: the run config's dataset."""
    dataset_id = str(controller.config.dataset.id)
    return dataset_id, dataset_title(dataset_id, controller)


def same_dataset_id(first: str, second: str) -> bool:
    """Whether two dataset ids name the same dataset (an opened folder may be spelled as a path or folder:PATH)."""
    if first == second:
        return True
    one, other = dataset_folder(first), dataset_folder(second)
    return one is not None and one == other


def _options_key(options: Any) -> str:
    return json.dumps(options or {}, sort_keys=True, default=str)


def same_dataset(controller: StudioController, identity: RunIdentity) -> bool:
    """Whether the loaded dataset (id and options) is the one ``identity``'s run was trained on."""
    spec = getattr(controller, "spec", None)
    if spec is None or controller.imageset is None or not same_dataset_id(spec.id, identity.dataset_id):
        return False
    return _options_key(controller.config.dataset.options) == _options_key(identity.dataset_options)


def other_dataset_note(controller: StudioController, identity: RunIdentity) -> str:
    """"" when the loaded dataset is the run's (or none is loaded), else a sentence saying they differ."""
    spec = getattr(controller, "spec", None)
    if spec is None or not identity.dataset_id or same_dataset_id(spec.id, identity.dataset_id):
        return ""
    return (f"The loaded dataset is {spec.title or spec.id}, not this run's {identity.dataset_title}: "
            f"this run knows only its own classes.")


def note_html(text: str) -> str:
    """``text`` as a warning-coloured HTML span ("" for no text)."""
    return f"<span style='{NOTE_STYLE}'>{escape(text, quote=False)}</span>" if text else ""


def run_caption(identity: RunIdentity, what: str = "Run") -> str:
    """"Run <b>NAME</b> · trained on <b>TITLE</b>", and on a second line the checkpoint note if any (HTML)."""
    name, title = escape(identity.name, quote=False), escape(identity.dataset_title, quote=False)
    text = f"{escape(what, quote=False)} <b>{name}</b> · trained on <b>{title}</b>"
    text += f" by {processes_text(identity)}" if identity.world_size > 1 else ""
    if identity.note:
        text += "<br>" + note_html(identity.note)
    return text


def processes_text(identity: RunIdentity) -> str:
    """"2 torchrun processes" for a run trained by several processes, "1 process" otherwise."""
    return f"{identity.world_size} torchrun processes" if identity.world_size > 1 else "1 process"


def opened_message(identity: RunIdentity) -> str:
    """The status-bar line after a run is opened from the Runs tab."""
    best = ("best val acc " + f"{identity.best_val_accuracy:.1%}" if identity.best_val_accuracy is not None
            else "no validated best yet")
    epochs = f"{identity.epochs} epoch{'s' if identity.epochs != 1 else ''}"
    text = (f"Opened run {identity.name} ({identity.dataset_title}, {epochs}, {best}"
            f"{', trained by ' + processes_text(identity) if identity.world_size > 1 else ''}): "
            f"Evaluate, Threshold, Try an image and Export now show it")
    return text + (f". {identity.note}" if identity.note else "")
