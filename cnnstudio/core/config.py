"""RunConfig: everything that defines a training run, as TOML on disk.

A run folder's ``config.toml`` is exactly ``RunConfig.to_toml()``; the same
file trains headless from the CLI. ``validate()`` reports the first invalid
field as one sentence naming the field and what is allowed.
"""

from __future__ import annotations

import datetime
import difflib
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import tomli_w

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.shorten import shorten, shown

OPTIMIZERS = ("adam", "sgd")
POOLINGS = ("max", "avg")
GLOBAL_POOLS = ("none", "avg", "max")
ACTIVATIONS = ("relu", "leaky_relu", "gelu", "silu", "tanh")
DEVICES = ("auto", "cpu", "cuda", "mps")
LR_SCHEDULES = ("constant", "cosine")
PRECISIONS = ("fp32", "bf16", "fp16")
# Limits that keep nonsense out (each far beyond any sensible run):
MAX_SEED = 2**63 - 1  # torch.manual_seed takes at most 64 bits
MAX_ID_LENGTH = 4096  # a dataset id may be a folder path (PATH_MAX on Linux)
MAX_NAME_LENGTH = 200  # head id, model preset name
MAX_CONV_LAYERS = 100
MAX_OPTION_DEPTH = 16  # lists and tables inside dataset.options / head.options


@dataclass
class DatasetConfig:
    id: str = "retail.products"  # a plugin dataset id, or a folder path
    options: dict[str, Any] = field(default_factory=dict)  # the dataset's own options (size, count, ...)


@dataclass
class ConvLayer:
    out_channels: int  # filters in this layer
    kernel: int = 3  # square kernel size
    padding: int = -1  # -1 keeps the spatial size ("same" padding, kernel // 2)
    pool: bool = False  # a 2x2 pooling layer after this one

    @property
    def resolved_padding(self) -> int:
        return self.kernel // 2 if self.padding < 0 else self.padding


@dataclass
class ModelConfig:
    # Defaults are the `recommended` preset: batch-norm, global max pooling and a
    # small backbone (~19 MFLOPs per 64x64 image) that finds small defects on
    # small real datasets (measured: >95% where the seed model stays at chance).
    preset: str = "recommended"  # the preset this model started from (informational)
    input_size: int = 64  # images are resized to input_size x input_size
    conv_layers: list[ConvLayer] = field(
        default_factory=lambda: [
            ConvLayer(16, pool=True),
            ConvLayer(32, pool=True),
            ConvLayer(32, pool=True),
            ConvLayer(32),
        ]
    )
    pooling: str = "max"  # max | avg, for the pooling layers after conv layers
    activation: str = "relu"  # relu | leaky_relu | gelu | silu | tanh
    batch_norm: bool = True  # batch-norm after each conv
    dropout: float = 0.0  # dropout on the feature map before the head
    global_pool: str = "max"  # none (flatten the whole map) | avg | max before the classifier
    normalize_inputs: bool = True  # subtract the train split's mean, divide by its std
    # The lesson's SimpleCNN typed its flatten size by hand (16 * 8 * 8). Set
    # this only to check such a number: 0 means "infer it", which is always right.
    flatten_features: int = 0


@dataclass
class HeadConfig:
    id: str = ""  # empty: the dataset's default head
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainingConfig:
    epochs: int = 10  # passes over the training split
    batch_size: int = 32  # images per optimizer step
    lr: float = 0.003  # learning rate
    optimizer: str = "adam"  # adam | sgd (with momentum 0.9)
    weight_decay: float = 0.0001  # L2 penalty
    lr_schedule: str = "cosine"  # constant | cosine (decays to 0 over the epochs)
    val_fraction: float = 0.2  # share of images held out for validation
    test_fraction: float = 0.1  # share held out for the final test (0 = none)
    patience: int = 0  # stop after this many epochs without a better val metric (0 = never)
    augment_flip: bool = True  # random horizontal flips
    augment_shift: bool = True  # random shifts of up to 1/8 of the image
    class_balanced_loss: bool = True  # weight the loss by inverse class frequency
    balanced_sampling: bool = False  # draw every class equally often in each epoch (with replacement)
    tensorboard: bool = False  # write TensorBoard event files into RUN_DIR/tensorboard
    precision: str = "fp32"  # fp32 | bf16 | fp16 (mixed precision; fp16 needs a CUDA GPU)


@dataclass
class RunConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    seed: int = 0  # same seed and config give the same numbers on CPU
    device: str = "auto"  # auto | cpu | cuda | mps
    threads: int = 0  # torch threads; 0 = automatic

    # ---- validation -----------------------------------------------------
    def validate(self) -> RunConfig:
        """Raise ConfigError for the first invalid field; return self."""
        m, t = self.model, self.training
        dataset_id = self.dataset.id
        _require(isinstance(dataset_id, str), f"dataset.id must be a dataset id or a folder path, got {shown(dataset_id)}")
        _require(dataset_id.strip(), "dataset.id must not be empty")
        _require(
            len(dataset_id) <= MAX_ID_LENGTH and "\0" not in dataset_id,
            f"dataset.id must be a dataset id or a folder path of at most {MAX_ID_LENGTH} characters, "
            f"got {shown(dataset_id)} ({len(dataset_id)} characters)",
        )
        _options(self.dataset.options, "dataset.options")
        _name(m.preset, "model.preset")
        _positive_int(m.input_size, "model.input_size", minimum=4, maximum=1024)
        _require(isinstance(m.conv_layers, list) and len(m.conv_layers) >= 1,
                 "model.conv_layers needs at least one conv layer")
        _require(len(m.conv_layers) <= MAX_CONV_LAYERS,
                 f"model.conv_layers may hold at most {MAX_CONV_LAYERS} layers, got {len(m.conv_layers)}")
        for index, layer in enumerate(m.conv_layers):
            name = f"model.conv_layers[{index}]"
            _require(isinstance(layer, ConvLayer), f"{name} must be a table like {{out_channels = 16, kernel = 3}}")
            _positive_int(layer.out_channels, f"{name}.out_channels", maximum=4096)
            _positive_int(layer.kernel, f"{name}.kernel", maximum=15)
            _int(layer.padding, f"{name}.padding")
            # More padding than the kernel only adds rows of zeros (and memory).
            _require(
                -1 <= layer.padding <= layer.kernel,
                f"{name}.padding must be -1 (same) or between 0 and the kernel size {layer.kernel}, "
                f"got {shown(layer.padding)}",
            )
            _require(isinstance(layer.pool, bool), f"{name}.pool must be true or false, got {shown(layer.pool)}")
        _choice(m.pooling, POOLINGS, "model.pooling")
        _choice(m.activation, ACTIVATIONS, "model.activation")
        _choice(m.global_pool, GLOBAL_POOLS, "model.global_pool")
        _bool(m.batch_norm, "model.batch_norm")
        _bool(m.normalize_inputs, "model.normalize_inputs")
        _fraction(m.dropout, "model.dropout", upper_inclusive=False)
        _int(m.flatten_features, "model.flatten_features")
        _require(m.flatten_features >= 0,
                 f"model.flatten_features must be >= 0 (0 = infer), got {shown(m.flatten_features)}")
        _require(m.flatten_features <= 10**12,
                 f"model.flatten_features must be <= 10**12, got {shown(m.flatten_features)}")
        _require(isinstance(self.head.id, str), f"head.id must be a string, got {shown(self.head.id)}")
        _require(len(self.head.id) <= MAX_NAME_LENGTH,
                 f"head.id must be at most {MAX_NAME_LENGTH} characters, got {shown(self.head.id)}")
        _options(self.head.options, "head.options")
        _positive_int(t.epochs, "training.epochs", maximum=100000)
        _positive_int(t.batch_size, "training.batch_size", maximum=65536)
        _number(t.lr, "training.lr")
        _require(0 < t.lr <= 10, f"training.lr must be > 0 and <= 10, got {shown(t.lr)}")
        _choice(t.optimizer, OPTIMIZERS, "training.optimizer")
        _choice(t.lr_schedule, LR_SCHEDULES, "training.lr_schedule")
        _choice(t.precision, PRECISIONS, "training.precision")
        _number(t.weight_decay, "training.weight_decay")
        _require(t.weight_decay >= 0, f"training.weight_decay must be >= 0, got {shown(t.weight_decay)}")
        _require(t.weight_decay <= 10, f"training.weight_decay must be <= 10, got {shown(t.weight_decay)}")
        _fraction(t.val_fraction, "training.val_fraction", upper_inclusive=False)
        _require(t.val_fraction > 0,
                 f"training.val_fraction must be > 0 (a validation split is needed), got {shown(t.val_fraction)}")
        _fraction(t.test_fraction, "training.test_fraction", upper_inclusive=False)
        _require(
            t.val_fraction + t.test_fraction < 0.9,
            f"training.val_fraction + training.test_fraction must leave at least 10% for training, "
            f"got {shown(t.val_fraction)} + {shown(t.test_fraction)}",
        )
        _int(t.patience, "training.patience")
        _require(t.patience >= 0, f"training.patience must be >= 0 (0 = never stop early), got {shown(t.patience)}")
        _require(t.patience <= 100000, f"training.patience must be <= 100000, got {shown(t.patience)}")
        for name in ("augment_flip", "augment_shift", "class_balanced_loss", "balanced_sampling", "tensorboard"):
            _bool(getattr(t, name), f"training.{name}")
        _int(self.seed, "seed")
        _require(self.seed >= 0, f"seed must be >= 0, got {shown(self.seed)}")
        _require(self.seed <= MAX_SEED, f"seed must be <= {MAX_SEED} (2**63 - 1), got {shown(self.seed)}")
        _choice(self.device, DEVICES, "device")
        _int(self.threads, "threads")
        _require(0 <= self.threads <= 1024,
                 f"threads must be between 0 (automatic) and 1024, got {shown(self.threads)}")
        return self

    # ---- plain data and TOML -------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build and validate a config; unknown keys are errors that suggest the right name."""
        if not isinstance(data, dict):
            raise ConfigError("a run config must be a table of sections")
        return _build(cls, data, "").validate()

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str, source: str = "config") -> RunConfig:
        source = shorten(source, 200)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{source} is not valid TOML: {shorten(str(error), 120)}") from None
        except RecursionError:
            raise ConfigError(f"{source}: arrays or tables are nested too deeply to read") from None
        except ValueError as error:  # an integer of more than 4300 digits
            raise ConfigError(f"{source} is not a valid config: {shorten(str(error), 120)}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        name = shorten(str(path), 200)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{name}: config file not found") from None
        except OSError as error:
            raise ConfigError(f"{name}: cannot read config ({error.strerror or type(error).__name__})") from None
        except (UnicodeDecodeError, ValueError) as error:  # not UTF-8; a NUL in the path
            raise ConfigError(f"{name}: cannot read config ({shorten(str(error), 100)})") from None
        config = cls.from_toml(text, source=str(path))
        # A folder written relative to the config file means that folder, from any working folder.
        from cnnstudio.core.data.dataset_ids import anchored_dataset_id

        try:
            dataset_id = anchored_dataset_id(config.dataset.id, path.resolve().parent)
        except (OSError, ValueError):  # a name too long for the file system: the host reports it by name
            dataset_id = config.dataset.id
        if dataset_id != config.dataset.id:
            config = replace(config, dataset=replace(config.dataset, id=dataset_id))
        return config

    def save(self, path: str | Path) -> None:
        from cnnstudio.core.atomic import atomic_write_text

        atomic_write_text(Path(path), self.to_toml())


# ---- helpers --------------------------------------------------------------

_NESTED: dict[tuple[type, str], type] = {
    (RunConfig, "dataset"): DatasetConfig,
    (RunConfig, "model"): ModelConfig,
    (RunConfig, "head"): HeadConfig,
    (RunConfig, "training"): TrainingConfig,
}


def _build(kind: type, data: dict[str, Any], prefix: str) -> Any:
    known = {f.name: f for f in fields(kind)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1) if isinstance(key, str) and len(key) <= 100 else []
            hint = f" (did you mean {prefix}{close[0]}?)" if close else f" (known: {', '.join(known)})"
            raise ConfigError(f"{prefix}{shorten(str(key))} is not a config field{hint}")
        nested = _NESTED.get((kind, key))
        if nested is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{path} must be a table, got {shown(value)}")
            value = _build(nested, value, f"{path}.")
        elif kind is ModelConfig and key == "conv_layers":
            value = _build_conv_layers(value, path)
        elif isinstance(value, float) and _field_type(known[key]) == "int" and value.is_integer():
            value = int(value)
        elif isinstance(value, int) and not isinstance(value, bool) and _field_type(known[key]) == "float":
            try:
                value = float(value)
            except OverflowError:  # too large for a float: validate() names the field and its range
                pass
        kwargs[key] = value
    try:
        return kind(**kwargs)
    except TypeError as error:  # a required field is missing
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: {error}") from None


def _build_conv_layers(value: Any, path: str) -> list[ConvLayer]:
    if not isinstance(value, list):
        raise ConfigError(f"{path} must be a list of layers, got {shown(value)}")
    layers = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}[{index}] must be a table like {{out_channels = 16, kernel = 3}}")
        if "out_channels" not in item:
            raise ConfigError(f"{path}[{index}].out_channels is required")
        layers.append(_build(ConvLayer, item, f"{path}[{index}]."))
    return layers


def _field_type(f: Any) -> str:
    return f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")


def _require(condition: Any, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _int(value: Any, name: str) -> None:
    _require(isinstance(value, int) and not isinstance(value, bool), f"{name} must be a whole number, got {shown(value)}")


def _positive_int(value: Any, name: str, minimum: int = 1, maximum: int | None = None) -> None:
    _int(value, name)
    _require(value >= minimum, f"{name} must be >= {minimum}, got {shown(value)}")
    if maximum is not None:
        _require(value <= maximum, f"{name} must be <= {maximum}, got {shown(value)}")


def _number(value: Any, name: str) -> None:
    """A finite int or float (not a bool, nan or inf)."""
    _require(
        isinstance(value, (int, float)) and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value)),
        f"{name} must be a finite number, got {shown(value)}",
    )


def _fraction(value: Any, name: str, upper_inclusive: bool) -> None:
    _number(value, name)
    ok = 0 <= value <= 1 if upper_inclusive else 0 <= value < 1
    _require(ok, f"{name} must be between 0 and {'1' if upper_inclusive else 'less than 1'}, got {shown(value)}")


def _bool(value: Any, name: str) -> None:
    _require(isinstance(value, bool), f"{name} must be true or false, got {shown(value)}")


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> None:
    _require(isinstance(value, str) and value in allowed, f"{name} must be one of {', '.join(allowed)}; got {shown(value)}")


def _name(value: Any, name: str) -> None:
    _require(isinstance(value, str) and len(value) <= MAX_NAME_LENGTH,
             f"{name} must be a name of at most {MAX_NAME_LENGTH} characters, got {shown(value)}")


def _options(value: Any, name: str) -> None:
    """A table of option values: string keys, values nested at most MAX_OPTION_DEPTH deep."""
    _require(isinstance(value, dict), f"{name} must be a table, got {shown(value)}")
    for key, option in value.items():
        _require(isinstance(key, str), f"{name} keys must be names, got {shown(key)}")
        field_name = f"{name}.{shorten(key)}"
        stack = [(option, 1)]  # iterative: a value may be nested thousands deep
        while stack:
            item, depth = stack.pop()
            if isinstance(item, (dict, list, tuple)):
                _require(depth <= MAX_OPTION_DEPTH,
                         f"{field_name} holds lists or tables nested more than {MAX_OPTION_DEPTH} deep")
                if isinstance(item, dict):
                    for child_key in item:
                        _require(isinstance(child_key, str), f"{field_name} keys must be names, got {shown(child_key)}")
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
            elif not isinstance(item, (str, bool, int, float, datetime.date, datetime.time)):
                # config.toml must be able to hold it (a run folder keeps the config as TOML).
                raise ConfigError(f"{field_name} must be a number, text, true/false, a list or a table, "
                                  f"got {shown(item)}")
            elif isinstance(item, int) and not isinstance(item, bool):
                # Larger numbers cannot be written back to config.toml (nor mean anything).
                _require(-(2**63) <= item < 2**63, f"{field_name} must fit in 64 bits, got {shown(item)}")
            elif isinstance(item, float):
                _require(not math.isnan(item), f"{field_name} must be a number, got nan")


def replace_nested(config: RunConfig, **changes: Any) -> RunConfig:
    """A copy of ``config`` with dotted fields changed: ``replace_nested(c, **{"training.lr": 0.01})``."""
    data = config.to_dict()
    for dotted, value in changes.items():
        target = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
    return RunConfig.from_dict(data)
