"""Teaching advice on a model config: the lesson's common CNN mistakes, in words, with numbers.

``advise`` looks at a config before training (unnormalised inputs, too many
parameters per training image, a huge flattened head, too many filters, a map
that shrinks to a single pixel or to nothing). ``overfitting_advice`` looks at
one epoch's accuracies while training ("100 epochs on 10 images").
Thresholds are named constants so the GUI and docs can quote them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cnnstudio.core.config import ModelConfig, RunConfig
from cnnstudio.core.model.summary import Problem, summarize

# The same record as summary.Problem: code, severity ("error" | "warning" | "info"), field, message.
ModelAdvice = Problem

# Weight sharing and augmentation let CNNs generalise with many more parameters
# than images, but past ~500 per image a small set is memorised rather than
# learned (the seed model on the lesson's 10 images has ~960 per image).
PARAMS_PER_IMAGE_WARNING = 500
# A head holding most of the weights learns *where* things are in the
# training images (one weight per pixel position), not *what* they are.
HEAD_SHARE_WARNING = 0.5
FLATTEN_SIZE_WARNING = 2048
# "Using too many filters: your GPU cries". Per-layer filters, and work per image.
FILTERS_WARNING = 256
FLOPS_PER_IMAGE_WARNING = 1_000_000_000
# Small defects (a few pixels wide at 64x64) blur away below this input size.
SMALL_INPUT_SIZE = 32

# Over-fitting: train accuracy this far above validation (fractions, 0.15 = 15
# points), once the first epochs (where both move fast) are over.
OVERFIT_GAP = 0.15
OVERFIT_MIN_EPOCH = 3


def advise(
    config: RunConfig | ModelConfig,
    num_train_images: int | None = None,
    num_classes: int = 2,
    head_build: Any = None,
) -> list[ModelAdvice]:
    """Errors first, then warnings, then information, each naming the config field to change.

    ``head_build`` (a HeadSpec's) is the head the model trains with; without
    it the classification head is assumed.
    """
    run = config if isinstance(config, RunConfig) else None
    model = config.model if isinstance(config, RunConfig) else config
    head_options = run.head.options if run is not None else None
    summary = summarize(model, num_classes, head_options, head_build=head_build)
    advice: list[ModelAdvice] = list(summary.problems)

    if not model.normalize_inputs:
        advice.append(ModelAdvice(
            "inputs_not_normalized", "warning", "model.normalize_inputs",
            "Inputs are not normalised: pixel values sit in [0, 1] around 0.5 instead of around 0 with unit spread, "
            "so the first layer's gradients are lopsided and training is slow and unstable (the lesson's "
            "\"emotionally unstable\" CNN). Turn model.normalize_inputs on to use the training split's mean and std.",
        ))

    total = summary.total_params
    if num_train_images and total / num_train_images > PARAMS_PER_IMAGE_WARNING:
        fixes = "add dropout, use global pooling, get more images"
        if run is not None and not (run.training.augment_flip or run.training.augment_shift):
            fixes += ", turn on augmentation (flips, shifts)"
        advice.append(ModelAdvice(
            "too_many_parameters", "warning", "model.conv_layers",
            f"{total:,} parameters for {num_train_images:,} training images is {total / num_train_images:,.0f} per image "
            f"(above {PARAMS_PER_IMAGE_WARNING}): the model can memorise the training set instead of learning "
            f"the classes. Use fewer filters, {fixes}.",
        ))

    head_share = summary.head_params / total if total else 0.0
    global_pool = model.global_pool
    # Only the classification head flattens the map; plugin heads read it their own way.
    if summary.classifier_head and global_pool == "none" and summary.flatten_size > 0 and (
        head_share > HEAD_SHARE_WARNING or summary.flatten_size > FLATTEN_SIZE_WARNING
    ):
        c, h, w = summary.feature_shape
        advice.append(ModelAdvice(
            "large_flatten", "warning", "model.global_pool",
            f"The linear head reads the whole flattened {c}x{h}x{w} map ({summary.flatten_size:,} values): "
            f"{summary.head_params:,} of {total:,} parameters ({head_share:.0%}) sit in the head, one weight per "
            f"pixel position, so it learns where things were in the training images rather than what they look "
            f"like (\"flattening too early\"). Set model.global_pool to \"max\" or \"avg\", or add pooling layers.",
        ))

    for index, layer in enumerate(model.conv_layers):
        if layer.out_channels > FILTERS_WARNING:
            advice.append(ModelAdvice(
                "too_many_filters", "warning", f"model.conv_layers[{index}].out_channels",
                f"conv{index + 1} has {layer.out_channels} filters (more than {FILTERS_WARNING}): a small dataset cannot "
                f"train that many and each one costs time and memory (\"your GPU cries\"). Try 16-64.",
            ))
    if summary.total_flops > FLOPS_PER_IMAGE_WARNING:
        advice.append(ModelAdvice(
            "too_much_work", "warning", "model.conv_layers",
            f"The model needs {summary.total_flops / 1e9:.1f} GFLOPs per {model.input_size}x{model.input_size} image "
            f"(more than {FLOPS_PER_IMAGE_WARNING / 1e9:.0f}): slow to train on a laptop. Use fewer filters, pool "
            f"earlier, or a smaller model.input_size.",
        ))

    if not summary.errors:
        collapsed = _first_single_pixel_layer(summary)
        if collapsed is not None:
            name, index = collapsed
            advice.append(ModelAdvice(
                "map_collapsed", "warning", f"model.conv_layers[{index}].pool",
                f"{name} shrinks the map to 1x1 for a {model.input_size}x{model.input_size} image, and conv layers "
                f"still follow: a 3x3 kernel on a single pixel sees mostly padding, and nothing is left of where "
                f"features were. Remove a pooling layer or raise model.input_size.",
            ))

    if model.input_size < SMALL_INPUT_SIZE:
        advice.append(ModelAdvice(
            "small_input", "info", "model.input_size",
            f"Images are shrunk to {model.input_size}x{model.input_size}: a scratch or spot a few pixels wide in the "
            f"original blurs into the background. Use {SMALL_INPUT_SIZE} or more for small defects.",
        ))

    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(advice, key=lambda item: order.get(item.severity, 3))


def _first_single_pixel_layer(summary: Any) -> tuple[str, int] | None:
    """(layer name, conv index) of the first layer leaving 1x1, when conv layers come after it."""
    seen_at: tuple[str, int] | None = None
    conv_index = -1
    for row in summary.rows:
        if row.kind == "Conv2d":
            if seen_at is not None:
                return seen_at
            conv_index += 1
        if len(row.output_shape) == 3 and row.output_shape[1:] == (1, 1) and seen_at is None:
            seen_at = (row.name, max(conv_index, 0))
    return None


def overfitting_advice(
    epoch: int,
    train_accuracy: float,
    val_accuracy: float,
    history: Sequence[Mapping[str, float]] | None = None,
) -> str | None:
    """A warning when training accuracy runs far ahead of validation accuracy, else None.

    ``epoch`` counts from 1; accuracies are fractions in [0, 1]; ``history``
    holds earlier epochs' metrics (``val_accuracy`` keys) to say when validation peaked.
    """
    gap = train_accuracy - val_accuracy
    if epoch < OVERFIT_MIN_EPOCH or gap <= OVERFIT_GAP:
        return None
    message = (
        f"Over-fitting: at epoch {epoch} training accuracy is {train_accuracy:.0%} but validation is only "
        f"{val_accuracy:.0%} ({gap * 100:.0f} points apart, more than {OVERFIT_GAP * 100:.0f}). The model is memorising "
        f"its training images (the lesson's \"100 epochs on 10 images\": enjoy your 100% accuracy)."
    )
    past = [float(item["val_accuracy"]) for item in (history or []) if "val_accuracy" in item]
    if past and max(past) > val_accuracy:
        best = max(range(len(past)), key=past.__getitem__)
        message += f" Validation peaked at {past[best]:.0%} (epoch {best + 1})."
    return message + " Try dropout, augmentation (flips, shifts), more images, fewer epochs or early stopping (training.patience)."

