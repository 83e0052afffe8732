"""Evaluating a model on a whole split: loss, head metrics, confusion, per-class report.

``evaluate_tensors`` is the batched inference loop the trainer uses for its
validation pass; ``evaluate`` turns a trained run and an ImageSet into an
``EvaluationReport`` for the CLI, the GUI and the HTML report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from cnnstudio.core.data.disk_images import read_rows
from cnnstudio.core.data.imageset import TRAIN_ONLY, ImageSet
from cnnstudio.core.data.splits import resize_images, split_by_role
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.evaluate import metrics as metric_fns
from cnnstudio.core.evaluate.box_entries import boxes_in_input
from cnnstudio.core.model.heads import Targets, decided_labels
from cnnstudio.core.model.network import CNNModel

if TYPE_CHECKING:
    from cnnstudio.core.evaluate.prediction import TrainedModel

SPLITS = ("train", "val", "test", "all")


@dataclass
class SplitResult:
    """What one pass over a split produced."""

    loss: float
    metrics: dict[str, float]  # the head's metrics (no prefix)
    predictions: dict[str, Any]  # the head's predictions, concatenated over batches
    count: int


def targets_of(imageset: ImageSet) -> Targets:
    """The Targets of a whole ImageSet (masks as floats in [0, 1])."""
    masks = None if imageset.masks is None else imageset.masks.float().clamp(0, 1)
    return Targets(labels=imageset.labels, masks=masks, boxes=imageset.boxes)


def slice_targets(targets: Targets, start: int, stop: int) -> Targets:
    return Targets(
        labels=targets.labels[start:stop],
        masks=None if targets.masks is None else targets.masks[start:stop],
        boxes=None if targets.boxes is None else targets.boxes[start:stop],
    )


def concat_predictions(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Join per-batch prediction dicts: tensors along dim 0, lists end to end."""
    joined: dict[str, Any] = {}
    for key in parts[0]:
        values = [part[key] for part in parts]
        if isinstance(values[0], torch.Tensor) and values[0].ndim > 0:
            joined[key] = torch.cat([v.detach().cpu() for v in values])
        elif isinstance(values[0], (list, tuple)):
            joined[key] = [item for v in values for item in v]
        else:
            joined[key] = values
    return joined


@torch.inference_mode()
def evaluate_tensors(
    model: CNNModel,
    images: torch.Tensor,
    targets: Targets,
    *,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
    channels_last: bool = False,
) -> SplitResult:
    """Loss (mean over images) and head metrics of ``model`` on (N, 3, H, W) uint8 images."""
    was_training = model.training
    model.eval()
    head = model.head
    total_loss, parts = 0.0, []
    count = int(images.shape[0])
    try:
        for start in range(0, count, batch_size):
            stop = min(start + batch_size, count)
            batch = read_rows(images, start, stop).to(device).float().div_(255)  # (n, 3, H, W) float
            if channels_last:
                batch = batch.contiguous(memory_format=torch.channels_last)
            batch_targets = slice_targets(targets, start, stop).to(device)
            outputs = model(batch)
            total_loss += float(head.loss(outputs, batch_targets)) * (stop - start)
            parts.append({k: v for k, v in head.predict(outputs).items()})
    finally:
        model.train(was_training)
    if not parts:
        return SplitResult(math.nan, {}, {}, 0)
    predictions = concat_predictions(parts)
    metrics = head.metrics(predictions, targets.to("cpu"))
    if isinstance(predictions.get("heatmap"), torch.Tensor) and targets.masks is not None:
        from cnnstudio.core.evaluate.pixel_metrics import defect_map_metrics

        pixel = defect_map_metrics(predictions["heatmap"].float(), targets.masks.cpu(), targets.labels.cpu())
        metrics = {**pixel, **metrics}  # the head's own figures win
    return SplitResult(total_loss / count, {k: float(v) for k, v in metrics.items()}, predictions, count)


@dataclass
class EvaluationReport:
    """A trained model's results on one split of an ImageSet."""

    split: str
    num_images: int
    class_names: list[str]
    loss: float
    accuracy: float
    confusion: list[list[int]]  # rows: true class, columns: predicted class
    per_class: list[dict[str, float]]  # precision, recall, f1, support per class
    roc_auc: float | None  # two-class tasks only
    head_metrics: dict[str, float] = field(default_factory=dict)
    probabilities: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    predicted: list[int] = field(default_factory=list)  # the decided class (threshold applied)
    losses: list[float] = field(default_factory=list)  # per image: -log p(true class)
    indices: list[int] = field(default_factory=list)  # positions in the evaluated ImageSet
    scores: list[float] | None = None  # thresholded heads: P(not class 0)
    threshold: float | None = None  # the head's decision threshold, if it has one
    weights: str = "best"  # the checkpoint evaluated ("last" for a run stopped before its first best)
    weights_note: str = ""  # why it is not the best one, for people ("" when it is)
    # Not in to_dict: the evaluated images at the model's input size, (N, 3, S, S)
    # uint8, and the head's own maps (N, h, w) in [0, 1] when it draws one.
    images: Any = field(default=None, repr=False)
    heatmaps: Any = field(default=None, repr=False)
    # Heads that find every object: per image, its boxes ({"box" in input pixels, "score", "class"}), best first.
    detections: list[list[dict[str, Any]]] | None = field(default=None, repr=False)

    def members(self, true_class: int, predicted_class: int) -> list[int]:
        """Positions of the images in one confusion cell, the highest loss (the worst) first."""
        found = [i for i, (t, p) in enumerate(zip(self.labels, self.predicted)) if t == true_class and p == predicted_class]
        return sorted(found, key=lambda i: -self.losses[i])

    def mistakes(self, limit: int | None = None) -> list[int]:
        """Positions of the wrongly decided images, the highest loss first."""
        wrong = [i for i, (t, p) in enumerate(zip(self.labels, self.predicted)) if t != p]
        return sorted(wrong, key=lambda i: -self.losses[i])[:limit]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (per-image probabilities included)."""
        return {
            "split": self.split,
            "num_images": self.num_images,
            "class_names": list(self.class_names),
            "loss": self.loss,
            "accuracy": self.accuracy,
            "confusion": self.confusion,
            "per_class": {
                name: row for name, row in zip(self.class_names, self.per_class)
            },
            "roc_auc": self.roc_auc,
            "head_metrics": dict(self.head_metrics),
            "probabilities": self.probabilities,
            "labels": self.labels,
            "sources": self.sources,
            "predicted": self.predicted,
            "losses": self.losses,
            "indices": self.indices,
            "scores": self.scores,
            "threshold": self.threshold,
            "weights": self.weights,
            "weights_note": self.weights_note,
        }


def split_indices(
    config_training: Any, seed: int, labels: torch.Tensor, split: str, roles: torch.Tensor | None = None
) -> torch.Tensor:
    """The indices of ``split`` exactly as the trainer drew them (``roles``: the ImageSet's split_roles)."""
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if split == "all":  # every image the dataset has, less those made only to train on (synthetic defects)
        everything = torch.arange(len(labels))
        return everything if roles is None else everything[torch.as_tensor(roles).reshape(-1) != TRAIN_ONLY]
    train, val, test = split_by_role(
        labels, roles, config_training.val_fraction, config_training.test_fraction, seed
    )
    return {"train": train, "val": val, "test": test}[split]


def evaluate(model: TrainedModel, imageset: ImageSet, split: str = "test", batch_size: int = 256) -> EvaluationReport:
    """Evaluate a trained run on ``split`` of ``imageset`` (the run's own seed and fractions)."""
    if list(imageset.class_names) != list(model.class_names):
        raise ConfigError(
            f"the dataset's classes {imageset.class_names} differ from the run's classes {model.class_names}"
        )
    indices = split_indices(model.config.training, model.config.seed, imageset.labels, split, imageset.split_roles)
    if len(indices) == 0:
        raise ConfigError(f"the {split} split is empty (training.{split}_fraction is 0 or the dataset is tiny)")
    subset = imageset.subset(indices)
    size = model.input_size
    images, masks, boxes = resize_images(subset.images, size, subset.masks, subset.boxes)
    targets = targets_of(ImageSet(images, subset.labels, subset.class_names, masks, boxes, subset.sources))
    result = evaluate_tensors(model.model, images, targets, batch_size=batch_size, device=model.device)
    probabilities = result.predictions["probabilities"].float()
    predicted = decided_labels(result.predictions)  # the head's threshold applies
    num_classes = len(model.class_names)
    confusion = metric_fns.confusion_matrix(predicted, subset.labels, num_classes)
    auc = metric_fns.roc_auc(probabilities[:, 1], subset.labels == 1) if num_classes == 2 else math.nan
    # Per image, the cross-entropy of the true class: how wrong, not just whether.
    true_probability = probabilities.gather(1, subset.labels[:, None].long())[:, 0]
    losses = (-true_probability.clamp_min(1e-12).log()).tolist()
    score = result.predictions.get("score")
    heatmaps = result.predictions.get("heatmap")
    return EvaluationReport(
        split=split,
        num_images=len(subset),
        class_names=list(model.class_names),
        loss=result.loss,
        accuracy=metric_fns.accuracy(predicted, subset.labels),
        confusion=confusion,
        per_class=metric_fns.per_class_report(confusion),
        roc_auc=None if math.isnan(auc) else auc,
        head_metrics=result.metrics,
        probabilities=probabilities.tolist(),
        labels=subset.labels.tolist(),
        sources=list(subset.sources),
        predicted=predicted.tolist(),
        losses=losses,
        indices=indices.tolist(),
        scores=None if score is None else score.float().tolist(),
        threshold=model.threshold,
        weights=model.which,
        weights_note=getattr(model, "note", ""),
        images=images,
        heatmaps=None if heatmaps is None else heatmaps.float(),
        detections=boxes_in_input(result.predictions, list(model.class_names)),
    )
