"""Per-layer summary of a model config: output shapes, parameters, FLOPs, memory, and blocking errors.

Shapes come from ``model.layer_shapes`` (arithmetic, so a map that shrinks to
nothing is reported in words instead of crashing). FLOPs count conv and
linear layers only, as 2 x multiply-adds (one multiply and one add each);
batch-norm, activations and pooling are cheap by comparison and counted as 0.
Activation memory is each layer's output for one image at float32 (4 bytes).

Nothing is allocated: the layers are built on torch's ``meta`` device, which
keeps shapes and parameter counts but no weights, so describing a model of
two 4096-filter layers at 1024 px costs the same as describing the seed model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from cnnstudio.core.config import ModelConfig
from cnnstudio.core.errors import ConfigError
from cnnstudio.core.model.heads import ClassificationHead
from cnnstudio.core.model.network import layer_shapes, skip_shapes

BYTES_PER_VALUE = 4  # float32
EXAMPLE_BATCH = 10  # the lesson's batch of 10 images, used to explain the view() bug


@dataclass(frozen=True)
class Problem:
    """Something wrong or worth knowing about a model config.

    severity: "error" (blocks training), "warning" or "info"; field: the
    config field that causes it, e.g. "model.flatten_features".
    """

    code: str
    severity: str
    field: str
    message: str


@dataclass(frozen=True)
class LayerRow:
    name: str  # conv1, bn1, act1, pool1, ..., flatten | global_pool, dropout, fc
    kind: str  # the module's class name (Conv2d, MaxPool2d, Linear, ...)
    output_shape: tuple[int, ...]  # (C, H, W) for backbone layers, (features,) after flattening
    params: int
    flops: int  # 2 x multiply-adds for Conv2d and Linear, 0 otherwise
    activation_bytes: int  # this layer's output for one image, float32


@dataclass
class ModelSummary:
    input_size: int
    num_classes: int
    rows: list[LayerRow]
    feature_shape: tuple[int, int, int]  # the backbone's output for one image
    flatten_size: int  # inputs of the linear head (inferred, never typed in)
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def classifier_head(self) -> bool:
        """True when the head is the classification head (pool or flatten, then ``fc``), not a plugin head."""
        return not any(row.name.startswith("head.") for row in self.rows)

    @property
    def head_params(self) -> int:
        return sum(row.params for row in self.rows if row.name == "fc" or row.name.startswith("head."))

    @property
    def total_flops(self) -> int:
        """FLOPs for one image (2 x multiply-adds of conv and linear layers)."""
        return sum(row.flops for row in self.rows)

    @property
    def activation_bytes(self) -> int:
        """Memory of every layer's output for one image at float32."""
        return sum(row.activation_bytes for row in self.rows)

    @property
    def param_bytes(self) -> int:
        return self.total_params * BYTES_PER_VALUE

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def format_table(self) -> str:
        """A plain-text, aligned table for the CLI."""
        header = ("layer", "kind", "output", "params", "FLOPs", "memory")
        lines = [
            (r.name, r.kind, "x".join(str(d) for d in r.output_shape), f"{r.params:,}", _si(r.flops), _bytes(r.activation_bytes))
            for r in self.rows
        ]
        lines.insert(0, ("input", "", f"3x{self.input_size}x{self.input_size}", "", "", _bytes(3 * self.input_size**2 * BYTES_PER_VALUE)))
        total = ("total", "", "", f"{self.total_params:,}", _si(self.total_flops), _bytes(self.activation_bytes))
        widths = [max(len(row[i]) for row in [header, total, *lines]) for i in range(len(header))]

        def fmt(row: tuple[str, ...]) -> str:
            left = [row[i].ljust(widths[i]) for i in range(3)]
            right = [row[i].rjust(widths[i]) for i in range(3, 6)]
            return "  ".join(left + right).rstrip()

        rule = "-" * len(fmt(header))
        text = [fmt(header), rule, *(fmt(row) for row in lines), rule, fmt(total)]
        flatten = f"flatten size {self.flatten_size:,} | " if self.classifier_head else ""
        text.append(
            f"{flatten}parameters {_bytes(self.param_bytes)} | "
            f"FLOPs = 2 x multiply-adds of conv and linear layers, per {self.input_size}x{self.input_size} image"
        )
        text.extend(f"{p.severity.upper()}: {p.message}" for p in self.problems)
        return "\n".join(text)


def summarize(
    config: ModelConfig, num_classes: int = 2, head_options: dict[str, Any] | None = None, head_build: Any = None
) -> ModelSummary:
    """Rows for every backbone layer and the head, plus blocking errors.

    ``head_build`` is a ``HeadSpec.build``; without one (or with the built-in
    classifier's) the head is the classification head's pooling/flatten and
    ``fc`` rows. Another head is built and run once on the feature map, and
    each of its layers becomes a ``head.<name>`` row. Everything is built on
    the ``meta`` device (thread-local): shapes and counts, no memory.
    """
    with torch.device("meta"):
        return _summarize(config, num_classes, head_options, head_build)


def _summarize(
    config: ModelConfig, num_classes: int, head_options: dict[str, Any] | None, head_build: Any
) -> ModelSummary:
    options = {"global_pool": config.global_pool, **(head_options or {})}
    global_pool = options["global_pool"]
    rows: list[LayerRow] = []
    problems: list[Problem] = []
    channels, height, width = 3, config.input_size, config.input_size
    previous = "the input"
    for name, module, (out_c, out_h, out_w) in layer_shapes(config):
        if (out_h <= 0 or out_w <= 0) and not problems:
            problems.append(_collapse_problem(config, name, previous, height, width, out_h, out_w))
        out_h, out_w = max(out_h, 0), max(out_w, 0)
        params = sum(p.numel() for p in module.parameters())
        flops = 0
        if isinstance(module, nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            flops = 2 * channels * kernel * out_c * out_h * out_w
        values = out_c * out_h * out_w
        rows.append(LayerRow(name, type(module).__name__, (out_c, out_h, out_w), params, flops, values * BYTES_PER_VALUE))
        channels, height, width, previous = out_c, out_h, out_w, name
    feature = (channels, height, width)

    flatten_size = channels * height * width if global_pool == "none" else channels
    head = None
    if head_build is not None and not problems:
        head = _build_head(head_build, feature, num_classes, {**options, "input_size": config.input_size},
                           skip_shapes(config))
    if head is not None and not isinstance(head, ClassificationHead):
        # A plugin head takes the feature map itself and shows its own layers.
        if config.dropout > 0:
            rows.append(LayerRow("dropout", "Dropout", feature, 0, 0, _values(feature) * BYTES_PER_VALUE))
        rows += head_rows(head, feature, skip_shapes(config) if getattr(head, "skip_features", False) else None)
    else:
        if global_pool == "none":
            rows.append(LayerRow("flatten", "Flatten", (flatten_size,), 0, 0, flatten_size * BYTES_PER_VALUE))
        else:
            kind = "AdaptiveMaxPool2d" if global_pool == "max" else "AdaptiveAvgPool2d"
            rows.append(LayerRow("global_pool", kind, (channels,), 0, 0, channels * BYTES_PER_VALUE))
        if config.dropout > 0:
            rows.append(LayerRow("dropout", "Dropout", (flatten_size,), 0, 0, flatten_size * BYTES_PER_VALUE))
        fc_params = flatten_size * num_classes + num_classes
        rows.append(LayerRow("fc", "Linear", (num_classes,), fc_params, 2 * flatten_size * num_classes,
                             num_classes * BYTES_PER_VALUE))

    if config.flatten_features and config.flatten_features != flatten_size and not problems:
        problems.append(_flatten_problem(config, feature, flatten_size, global_pool))
    return ModelSummary(config.input_size, num_classes, rows, feature, flatten_size, problems)


# A head whose constructor cannot run on the meta device is built for real when it is this small.
REAL_HEAD_FALLBACK_VALUES = 2**22


def _build_head(head_build: Any, feature: tuple[int, int, int], num_classes: int, options: dict[str, Any],
                skips: list[tuple[int, int, int]]) -> Any:
    """``head_build``'s head on the current (meta) device; a head that needs real tensors to be built
    (a plugin's ``.tolist()``, say) is built on the CPU instead, when its feature map is small."""
    try:
        return _with_skips(head_build(feature, num_classes, options), skips)
    except Exception:  # noqa: BLE001 - any failure on meta: retry for real, or report the original error
        if _values(feature) * max(num_classes, 1) > REAL_HEAD_FALLBACK_VALUES:
            raise
    with torch.device("cpu"):
        return _with_skips(head_build(feature, num_classes, options), skips)


def _with_skips(head: Any, skips: list[tuple[int, int, int]]) -> Any:
    """``head``, with its skip layers attached when it reads the backbone's finer maps (as build_model does)."""
    if getattr(head, "skip_features", False):
        head.attach_skips(skips)
    return head


def head_rows(head: nn.Module, feature: tuple[int, int, int],
              skips: list[tuple[int, int, int]] | None = None) -> list[LayerRow]:
    """One ``head.<name>`` row per layer of a (plugin) head, with the shapes of one forward pass
    (given ``skips``, the shapes of the skip features a ``skip_features`` head also reads).

    The pass runs on the head's own device (``meta`` inside ``summarize``: nothing is computed); a head
    whose forward pass cannot run there still gets its rows, with the shapes left empty.
    """
    shapes: dict[str, tuple[int, ...]] = {}

    def keep_shape(name: str) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:  # returns None: the output stays
            if isinstance(output, torch.Tensor):
                shapes.setdefault(name, tuple(output.shape[1:]))
        return hook

    leaves = [(name, module) for name, module in head.named_modules() if name and not list(module.children())]
    hooks = [module.register_forward_hook(keep_shape(name)) for name, module in leaves]
    was_training = head.training
    device = next((p.device for p in head.parameters()), None)
    sample = torch.zeros(1, *feature, device=device)  # on meta inside summarize: no memory
    try:
        with torch.no_grad():
            if skips is None:
                head.eval()(sample)
            else:
                head.eval()(sample, [torch.zeros(1, *shape, device=device) for shape in skips])
    except (NotImplementedError, RuntimeError, TypeError, ValueError):
        if not sample.is_meta:
            raise
        # An operation without a meta kernel: the rows keep their parameters, without shapes.
    finally:
        head.train(was_training)
        for hook in hooks:
            hook.remove()
    rows = []
    for name, module in leaves:
        shape = shapes.get(name, ())
        params = sum(p.numel() for p in module.parameters())
        flops = 0
        if isinstance(module, nn.Conv2d) and len(shape) == 3:
            kernel = module.kernel_size[0] * module.kernel_size[1]
            flops = 2 * (module.in_channels // module.groups) * kernel * _values(shape)
        elif isinstance(module, nn.Linear):
            flops = 2 * module.in_features * module.out_features
        rows.append(LayerRow(f"head.{name}", type(module).__name__, shape, params, flops, _values(shape) * BYTES_PER_VALUE))
    unlisted = sum(p.numel() for p in head.parameters(recurse=False))  # parameters held by the head itself
    if unlisted:
        rows.append(LayerRow("head", type(head).__name__, (), unlisted, 0, 0))
    return rows


def _values(shape: tuple[int, ...]) -> int:
    count = 1
    for dimension in shape:
        count *= dimension
    return count


def check_model_config(config: ModelConfig, num_classes: int) -> list[Problem]:
    """Problems that make a model untrainable (severity "error"); the trainer refuses to start on any."""
    problems = list(summarize(config, num_classes).problems)
    if num_classes < 2:
        problems.insert(0, Problem("too_few_classes", "error", "dataset", f"a classifier needs at least 2 classes, got {num_classes}"))
    return problems


def require_trainable(config: ModelConfig, num_classes: int) -> None:
    """Raise ConfigError with the first error's message, if any."""
    errors = [p for p in check_model_config(config, num_classes) if p.severity == "error"]
    if errors:
        raise ConfigError(errors[0].message)


def _collapse_problem(config: ModelConfig, name: str, previous: str, in_h: int, in_w: int, out_h: int, out_w: int) -> Problem:
    size = config.input_size
    chain = f"{previous} -> {name}" if previous != "the input" else name
    index = int("".join(ch for ch in name if ch.isdigit()) or 1) - 1
    return Problem(
        "spatial_collapse",
        "error",
        f"model.conv_layers[{index}]",
        f"{chain} leaves a {max(out_h, 0)}x{max(out_w, 0)} map for a {in_h}x{in_w} input "
        f"(from a {size}x{size} image): the feature map has shrunk to nothing. "
        f"Remove a pooling layer, use padding (-1 keeps the size), or raise model.input_size.",
    )


def _flatten_problem(config: ModelConfig, feature: tuple[int, int, int], inferred: int, global_pool: str) -> Problem:
    typed = config.flatten_features
    c, h, w = feature
    size = config.input_size
    if global_pool == "none":
        leaves = f"the backbone leaves {c}x{h}x{w} = {inferred} values per {size}x{size} image"
    else:
        leaves = f"global {global_pool} pooling leaves {c} values per {size}x{size} image"
    total = EXAMPLE_BATCH * inferred
    if total % typed == 0:
        consequence = (
            f"x.view(-1, {typed}) would turn a batch of {EXAMPLE_BATCH} into {total // typed} rows "
            f"and the loss would fail on a batch-size mismatch"
        )
    else:
        consequence = f"x.view(-1, {typed}) would fail: {EXAMPLE_BATCH} x {inferred} values do not split into rows of {typed}"
    return Problem(
        "flatten_mismatch",
        "error",
        "model.flatten_features",
        f"model.flatten_features is {typed} but {leaves}; {consequence}. Set it to 0 to infer it.",
    )


def _si(value: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return str(value)


def _bytes(value: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"
