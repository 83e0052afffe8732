"""What one ``Trainer.fit`` works with: its data splits, and the model, optimizer and loop it trains.

``prepare_fit_data`` resizes the images once, splits them by class and takes
the input statistics from the training split; ``build_fit_model`` makes the
model, its loss weights and the optimizer. The Trainer keeps the loop itself
(``core/train.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.data.sampling import inverse_frequency
from cnnstudio.core.data.splits import channel_stats, resize_images, split_by_role
from cnnstudio.core.errors import DatasetError
from cnnstudio.core.evaluate.evaluation import targets_of
from cnnstudio.core.model.heads import Targets
from cnnstudio.core.model.network import CNNModel, build_model
from cnnstudio.core.runs.loop_state import LoopState
from cnnstudio.core.specs import HeadSpec
from cnnstudio.core.train.batches import BatchSource
from cnnstudio.core.train.distributed import World
from cnnstudio.core.train.pace import BatchPacer, EpochForecast, FirstBatchWatch, LayerStops


@dataclass
class FitData:
    """The dataset at the model's input size, split; normalised with the training split's statistics."""

    all: ImageSet
    train: ImageSet
    val: ImageSet
    test: ImageSet
    train_targets: Targets
    val_targets: Targets
    mean: torch.Tensor
    std: torch.Tensor

    def class_counts(self) -> torch.Tensor:
        return torch.bincount(self.train.labels, minlength=self.all.num_classes).double()


def prepare_fit_data(imageset: ImageSet, config: RunConfig) -> FitData:
    """Resize once, split by class (seeded; see ``split_by_role``), and take the mean and std of the training split."""
    t = config.training
    images, masks, boxes = resize_images(imageset.images, config.model.input_size, imageset.masks, imageset.boxes)
    data = ImageSet(images, imageset.labels, list(imageset.class_names), masks, boxes, list(imageset.sources),
                    name=imageset.name, split_roles=imageset.split_roles)
    train_idx, val_idx, test_idx = split_by_role(
        data.labels, data.split_roles, t.val_fraction, t.test_fraction, config.seed
    )
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise DatasetError(
            f"{data.name or 'the dataset'} has {len(data)} images: too few for a training and a validation split"
        )
    train, val, test = data.subset(train_idx), data.subset(val_idx), data.subset(test_idx)
    mean, std = channel_stats(train.images)
    return FitData(data, train, val, test, targets_of(train), targets_of(val), mean, std)


def build_fit_model(
    config: RunConfig, head_spec: HeadSpec, data: FitData
) -> tuple[CNNModel, torch.optim.Optimizer, torch.Tensor | None]:
    """The model (with class weights in its loss when asked), its optimizer, and the per-image sampling
    weights of balanced sampling (None without it). The model is still on the CPU."""
    t = config.training
    model = build_model(config.model, head_spec.build, data.all.num_classes, config.head.options, data.mean, data.std)
    class_counts = data.class_counts()
    # Balanced sampling already evens the classes out; weighting the loss too would over-correct.
    if t.class_balanced_loss and not t.balanced_sampling:
        model.head.set_class_weights(inverse_frequency(class_counts))
    sample_weights = inverse_frequency(class_counts)[data.train.labels] if t.balanced_sampling else None
    return model, _optimizer(config, model), sample_weights


def _optimizer(config: RunConfig, model: CNNModel) -> torch.optim.Optimizer:
    t = config.training
    if t.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=t.lr, momentum=0.9, weight_decay=t.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=t.lr, weight_decay=t.weight_decay)


@dataclass
class FitSession:
    """Everything one fit works with, passed between the Trainer's steps."""

    data: FitData
    model: CNNModel
    optimizer: torch.optim.Optimizer
    loop: LoopState
    device: torch.device
    channels_last: bool
    sample_weights: torch.Tensor | None
    batch_starts: list[int]  # the first image of each batch in an epoch's order
    forecast: EpochForecast
    watch: FirstBatchWatch
    stops: LayerStops
    pacer: BatchPacer
    shown: tuple[torch.Tensor, torch.Tensor]  # the validation images (and labels) of the live snapshots
    world: World  # the processes training together (one outside torchrun)
    trained: torch.nn.Module  # what the loop calls: the model, or its DistributedDataParallel wrapper
    batches: BatchSource
    autocast_dtype: torch.dtype | None  # mixed precision (training.precision), None for fp32
    scaler: torch.amp.GradScaler  # scales fp16 losses; a pass-through otherwise
    forward_s: float | None = None  # seconds per image of a forward pass, timed on the first snapshot
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format


def batch_starts(n_train: int, batch_size: int) -> list[int]:
    """The start of each batch. A trailing batch of one image is skipped (batch-norm cannot train on
    it); the order is reshuffled every epoch, so no image is left out for good."""
    return [s for s in range(0, n_train, batch_size) if n_train - s > 1 or s == 0]
