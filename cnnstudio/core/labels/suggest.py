"""Labels a trained run suggests for unlabelled images, and which images to label first.

    reason = run_matches_labels(run_dir, labels)        # None, or why the run cannot suggest these labels
    model = load_run_model(run_dir)                      # cnnstudio.app.runner (plugin heads need the manager)
    suggestions = suggest_labels(model, labels, labels.unlabelled())
    for image in order_by_uncertainty(suggestions):      # the most useful to label first
        ...

Each suggestion is an ``ImageLabel(status="labelled", suggested=True)`` whose
``score`` is the model's uncertainty in [0, 1] (1: the model cannot decide,
so a person's label teaches it most):

- classes: margin sampling, ``1 - (top probability - second probability)``;
- boxes: the boxes scored at or above the run's threshold, in the file's own
  pixels; the uncertainty is the largest ``closeness`` to the threshold of
  any box the head kept (and of the image's presence score), so an image
  whose boxes all score far from the threshold, or that has none, is certain;
- masks: ``good`` or the defect class, with the defect map sampled at every
  pixel of the file and thresholded at the run's threshold (defect images
  only); the uncertainty is the ``closeness`` of the image's defect score.

``closeness(score, threshold)`` is 1 at the threshold and falls linearly to 0
at a score of 0 and of 1 (``1 - |2 * score - 1|`` for a threshold of 0.5).

torch is imported only once a model predicts, so the GUI may import this module at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnstudio.core.errors import CNNStudioError, DatasetError
from cnnstudio.core.labels.label_set import GOOD_CLASS, Box, ImageLabel, LabelSet

if TYPE_CHECKING:
    from cnnstudio.core.evaluate.prediction import TrainedModel

# The label kind each dataset task gives labels for.
KIND_OF_TASK = {"classification": "classes", "detection": "boxes", "defect": "masks"}
# The tasks of the bundled heads, so a run can be judged from run.json alone.
TASK_OF_HEAD = {"classification": "classification", "box": "detection", "boxes": "detection",
                "defect_map": "defect", "heatmap": "defect"}
_TASK_WORDS = {"classification": "sorting images into classes", "detection": "finding objects with boxes",
               "defect": "finding defects"}
_TASK_OF_KIND = {kind: task for task, kind in KIND_OF_TASK.items()}
_KIND_WORDS = {"classes": "class labels", "boxes": "box labels", "masks": "defect mask labels"}
DEFECT_CLASS = "defect"  # the mask kind's defect class when neither the run nor the label set names another
_RESIZE_POLICIES = ("pad", "stretch", "crop")


class RunKindError(CNNStudioError, ValueError):
    """A run trained for another task than the label kind (a detection run for class labels)."""


def closeness(score: float, threshold: float = 0.5) -> float:
    """How close ``score`` is to ``threshold``: 1 there, falling linearly to 0 at 0 and at 1."""
    span = threshold if score < threshold else 1.0 - threshold
    if span <= 0:
        return 0.0
    return float(min(1.0, max(0.0, 1.0 - abs(score - threshold) / span)))


def margin_uncertainty(probabilities: Iterable[float]) -> float:
    """``1 - (top - second)`` of the class probabilities (1 when the two best are equal)."""
    ranked = sorted((float(p) for p in probabilities), reverse=True) + [0.0, 0.0]
    return float(min(1.0, max(0.0, 1.0 - (ranked[0] - ranked[1]))))


def run_matches_labels(run_dir: str | Path, labels: LabelSet, tasks: Sequence[str] | None = None) -> str | None:
    """None when the run can suggest ``labels``' kind, else the reason in words; reads run.json only (no torch).

    ``tasks`` are the run's head's tasks (``HeadSpec.tasks``) for heads not bundled with
    CNN Studio; without them such a run is not refused here (``suggest_labels`` checks its outputs).
    """
    from cnnstudio.core.runs.folder import RunFolder

    run = RunFolder(run_dir)
    try:
        info = run.read_info()
    except CNNStudioError as error:
        return str(error)
    if not any(run.weights_path(which).exists() for which in ("best", "last")):
        return f"the run {run.name} has no trained weights yet; train it first"
    head_id = str(info.get("head_id", "classification"))
    known = TASK_OF_HEAD.get(head_id)
    run_tasks = [known] if known else list(tasks or [])
    if not run_tasks or any(KIND_OF_TASK.get(task) == labels.kind for task in run_tasks):
        return None
    return _mismatch(run.name, run_tasks[0], head_id, labels.kind)


def _mismatch(run_name: str, task: str, head_id: str, kind: str) -> str:
    return (f"the run {run_name} was trained for {_TASK_WORDS.get(task, task)} (its {head_id} head), so it cannot "
            f"suggest {_KIND_WORDS.get(kind, kind)}; choose a run trained for {_TASK_WORDS[_TASK_OF_KIND[kind]]}")


def suggest_labels(
    model: TrainedModel,
    labels: LabelSet,
    images: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, ImageLabel]:
    """The model's suggested label for each of ``images`` (paths relative to ``labels.root``).

    ``model`` is a loaded run (``load_trained_model`` / ``runner.load_run_model``). Images the
    model cannot read get no suggestion. ``progress(done, total)`` is called before the first image
    and after each; ``should_stop()`` is asked before the first image and after each (the model
    predicts a batch of files at a time): once it is true the suggestions made so far are returned. A run whose task
    does not match ``labels.kind`` raises RunKindError (a ValueError) naming the run and the kind.
    """
    head_task = TASK_OF_HEAD.get(model.head_id)
    if head_task is not None:
        _check_kind(model, head_task, labels.kind)
    policy = str(model.config.dataset.options.get("resize", "pad"))
    policy = policy if policy in _RESIZE_POLICIES else "pad"
    total = len(images)
    suggestions: dict[str, ImageLabel] = {}
    if progress is not None:
        progress(0, total)
    if total == 0 or (should_stop is not None and should_stop()):
        return suggestions
    entries = model.iter_predictions([labels.root / image for image in images], policy)
    for done, (image, entry) in enumerate(zip(images, entries), start=1):
        if "error" not in entry:
            if head_task is None:  # a plugin's head: judged by what it predicts
                head_task = _task_of_entry(entry)
                _check_kind(model, head_task, labels.kind)
            suggestions[image] = _suggestion(model, labels, entry, policy)
        if progress is not None:
            progress(done, total)
        if should_stop is not None and should_stop():
            break
    return suggestions


def order_by_uncertainty(suggestions: dict[str, ImageLabel]) -> list[str]:
    """The images of ``suggestions``, most uncertain (most useful to label) first; ties keep their order."""
    return sorted(suggestions, key=lambda image: -(suggestions[image].score or 0.0))


def _check_kind(model: TrainedModel, task: str, kind: str) -> None:
    if KIND_OF_TASK.get(task) != kind:
        raise RunKindError(_mismatch(Path(model.run_dir).name, task, model.head_id, kind))


def _task_of_entry(entry: dict[str, Any]) -> str:
    """The task a prediction entry answers, from its keys."""
    if "boxes" in entry or "box" in entry:
        return "detection"
    if "heatmap" in entry:
        return "defect"
    return "classification"


def _suggestion(model: TrainedModel, labels: LabelSet, entry: dict[str, Any], policy: str) -> ImageLabel:
    threshold = float(entry.get("threshold", model.threshold if model.threshold is not None else 0.5))
    if labels.kind == "classes":
        return ImageLabel(status="labelled", class_name=str(entry["class"]), suggested=True,
                          score=margin_uncertainty(entry["probabilities"].values()))
    if labels.kind == "boxes":
        boxes, uncertainty = _boxes(entry, threshold)
        return ImageLabel(status="labelled", boxes=boxes, suggested=True, score=uncertainty)
    score = float(entry.get("score", 1.0 - entry["probabilities"].get(model.class_names[0], 0.0)))
    uncertainty = closeness(score, threshold)
    if int(entry["index"]) == 0:
        return ImageLabel(status="labelled", class_name=GOOD_CLASS, suggested=True, score=uncertainty)
    mask = _mask(model, Path(entry["file"]), entry["heatmap"], threshold, policy) if "heatmap" in entry else None
    return ImageLabel(status="labelled", class_name=_defect_class(model, labels, str(entry["class"])),
                      mask=mask, suggested=True, score=uncertainty)


def _boxes(entry: dict[str, Any], threshold: float) -> tuple[tuple[Box, ...], float]:
    """The boxes at or above ``threshold`` and the image's uncertainty (see the module docstring)."""
    found = entry.get("boxes")
    if found is None and "box" in entry:  # a one-box head: its box counts when the image's score does
        found = [{"box": entry["box"], "score": entry.get("score", 0.0), "class": entry["class"]}]
    found = found or []
    boxes = tuple(_box(item["box"], str(item["class"])) for item in found if float(item["score"]) >= threshold)
    scores = [float(item["score"]) for item in found]
    if "score" in entry:
        scores.append(float(entry["score"]))
    return boxes, max((closeness(score, threshold) for score in scores), default=0.0)


def _box(corners: Sequence[float], class_name: str) -> Box:
    x0, y0, x1, y1 = (float(value) for value in corners)
    return Box(x0, y0, x1, y1, class_name)


def _defect_class(model: TrainedModel, labels: LabelSet, run_class: str) -> str:
    """The label set's defect class for the run's decided class: its own name when the run and the
    label set each have one defect class, else the run's name (the tab adds a class it lacks)."""
    own = [name for name in labels.class_names if name != GOOD_CLASS]
    if len(model.class_names) == 2 and len(own) == 1:
        return own[0]
    return run_class or DEFECT_CLASS


def _mask(model: TrainedModel, path: Path, heatmap: Any, threshold: float, policy: str) -> np.ndarray:
    """(H, W) uint8 0/1 mask the size of the upright file: the map sampled at each pixel, at ``threshold``."""
    from cnnstudio.core.data.image_io import fit_geometry
    from cnnstudio.core.evaluate.defect_map_geometry import map_in_file

    height, width = upright_size(path)
    size = model.input_size
    in_file = map_in_file(heatmap, fit_geometry(height, width, size, policy), size, height, width)
    return (in_file >= threshold).numpy().astype(np.uint8)


def upright_size(path: Path) -> tuple[int, int]:
    """(height, width) of the image at ``path`` once its EXIF orientation is applied (from its header)."""
    from PIL import ExifTags, Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            try:
                turned = image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
            except Exception:  # noqa: BLE001 - damaged EXIF: the image reader ignores it too
                turned = False
    except OSError as error:
        raise DatasetError(f"{path}: not a readable image ({error})") from None
    return (width, height) if turned else (height, width)
