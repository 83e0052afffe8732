"""Descriptors that plugins register: what a dataset, a head or a label kind is, cheaply.

Registering must not import torch or touch the disk, because every plugin is
imported at start-up. A descriptor therefore holds a *factory* (``load`` or
``build``) that does the heavy work only when called.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.shorten import shorten, shown

# The kinds of task a dataset poses. A head lists the tasks it can serve.
TASKS = ("classification", "defect", "detection")


# The shapes a label can take, as the Label tab draws and saves them
# (the same as ``cnnstudio.core.labels.label_set.KINDS``).
LABEL_SHAPES = ("classes", "boxes", "masks")
# Characters a label class name may not hold (it becomes a folder name).
LABEL_CLASS_FORBIDDEN = '/\\:*?"<>|'


# Options the model builder passes to every head besides the user's ``head.options``.
HOST_HEAD_OPTIONS = ("global_pool", "input_size")


def check_head_options(head_id: str, options: Any, declared: tuple[str, ...] | None) -> None:
    """ConfigError when ``options`` (a config's ``head.options``) names an option the head does not have.

    ``declared`` is the head's own option names; None accepts any name (a head that declares none).
    The options every head receives from the host (``global_pool``, ``input_size``) are always allowed.
    """
    if not isinstance(options, dict):
        raise ConfigError(f"head.options must be a table, got {shown(options)}")
    if declared is None:
        return
    known = sorted({*declared, *HOST_HEAD_OPTIONS})
    for name in options:
        if name not in known:
            raise ConfigError(
                f"head.options.{shorten(str(name))} is not an option of the {shorten(head_id)} head "
                f"(options: {', '.join(known)})"
            )


# Class names that mean "nothing wrong here". Such a class goes first in imported
# folders, because defect and detection heads read class 0 as the normal class
# and score "not class 0".
NORMAL_CLASS_NAMES = ("ok", "good", "normal", "genuine", "negative", "pass", "background", "no_logo", "none")


def class_order(name: str) -> tuple[bool, str]:
    """Sort key of class folder names: a normal class ("ok", "good", "genuine", ...) first, then by name."""
    return (name.lower().replace("-", "_").replace(" ", "_") not in NORMAL_CLASS_NAMES, name)


@dataclass(frozen=True)
class DatasetOption:
    """One option a dataset's ``load`` accepts, with its default and limits."""

    name: str
    default: Any
    help: str = ""
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def validate(self, value: Any, dataset_id: str) -> Any:
        """Return ``value`` coerced to the default's type, or raise ConfigError."""
        field_name = f"dataset.options.{self.name}"
        kind = type(self.default)
        given = value
        try:
            if kind is bool:
                if not isinstance(value, bool):
                    raise TypeError
            elif kind is int:
                value = _whole_number(value)
            elif kind is float:
                if isinstance(value, bool):
                    raise TypeError
                value = float(value)
                if not math.isfinite(value):
                    raise ConfigError(f"{field_name} must be a finite number, got {shown(given)}")
            elif kind is str:
                if isinstance(value, (dict, list, tuple, set)):
                    raise TypeError
                value = str(value)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(
                f"{field_name} for {shorten(dataset_id)} must be {kind.__name__}, got {shown(given)}"
            ) from None
        try:
            if self.choices is not None and value not in self.choices:
                allowed = ", ".join(map(str, self.choices))
                raise ConfigError(f"{field_name} must be one of {allowed}; got {shown(value)}")
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(f"{field_name} must be >= {self.minimum}, got {shown(value)}")
            if self.maximum is not None and value > self.maximum:
                raise ConfigError(f"{field_name} must be <= {self.maximum}, got {shown(value)}")
        except TypeError:  # a value of another type than the limits (a plugin's own kind of default)
            raise ConfigError(f"{field_name} for {shorten(dataset_id)} cannot be {shown(given)}") from None
        return value


def _whole_number(value: Any) -> int:
    """``value`` as an int: an int, a float with no fraction, or a string of digits; else TypeError/ValueError."""
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():  # also inf and nan
            raise TypeError
        return int(value)
    if isinstance(value, str):
        if len(value) > 100:
            raise ValueError
        return int(value.strip())
    return operator.index(value)  # numpy integers and the like; TypeError for anything else


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a plugin offers.

    ``load(options)`` receives every option resolved (defaults filled in,
    validated) and returns a ``cnnstudio.core.data.imageset.ImageSet``.
    """

    id: str
    title: str
    domain: str
    description: str
    load: Callable[[dict[str, Any]], Any]
    task: str = "classification"
    class_names: tuple[str, ...] = ()
    options: tuple[DatasetOption, ...] = ()
    default_head: str = "classification"
    # False when a mirror image changes the answer (text, logos, signatures):
    # training then turns horizontal-flip augmentation off and says so.
    mirror_safe: bool = True

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise ValueError("DatasetSpec.id must be a non-empty string")
        if self.task not in TASKS:
            raise ValueError(f"DatasetSpec {self.id}: task must be one of {TASKS}, got {self.task!r}")
        if not callable(self.load):
            raise ValueError(f"DatasetSpec {self.id}: load must be callable")

    def resolve_options(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown or invalid options raise ConfigError."""
        if given is not None and not isinstance(given, dict):
            raise ConfigError(f"dataset.options must be a table, got {shown(given)}")
        given = dict(given or {})
        known = {option.name: option for option in self.options}
        unknown = sorted(set(given) - set(known), key=str)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise ConfigError(
                f"dataset.options.{shorten(str(unknown[0]))} is not an option of {shorten(self.id)} (options: {allowed})"
            )
        return {
            name: option.validate(given[name], self.id) if name in given else option.default
            for name, option in known.items()
        }


@dataclass(frozen=True)
class HeadSpec:
    """A model head a plugin offers.

    ``build(feature_shape, num_classes, options)`` returns a
    ``cnnstudio.core.model.heads.Head``; ``feature_shape`` is the backbone's output
    ``(channels, height, width)`` for one image.

    ``options`` names the ``head.options`` the head accepts, so that the host
    rejects a misspelt one before training, naming the known ones. None (the
    default) declares nothing: any name then reaches ``build``. ``global_pool``
    and ``input_size`` are always allowed (the host passes them to every head).
    """

    id: str
    title: str
    build: Callable[[tuple[int, int, int], int, dict[str, Any]], Any]
    tasks: tuple[str, ...] = ("classification",)
    description: str = ""
    options: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise ValueError("HeadSpec.id must be a non-empty string")
        if not callable(self.build):
            raise ValueError(f"HeadSpec {self.id}: build must be callable")

    def supports(self, task: str) -> bool:
        return task in self.tasks

    def check_options(self, options: Any) -> None:
        """ConfigError naming the first of ``options`` (a config's ``head.options``) this head does not declare."""
        check_head_options(self.id, options, self.options)


@dataclass(frozen=True)
class LabelKindSpec:
    """A kind of label the Label tab offers, e.g. a "Signature region" box tool for documents.

    ``kind`` is the shape the tool draws, which also decides how labels are
    saved and trained: ``classes`` (one class per image), ``boxes`` or
    ``masks``. ``classes`` are the classes a new label set starts with,
    ``hint`` the tooltip that says what to draw and why. ``aspect`` (boxes
    only) is the width/height the box tool keeps while drawing, None for free
    boxes; ``brush_size`` (masks only) the brush's starting size in pixels.
    """

    id: str
    title: str
    kind: str
    classes: tuple[str, ...] = ()
    hint: str = ""
    domain: str = ""
    aspect: float | None = None
    brush_size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"LabelKindSpec.id must be a non-empty string, got {shown(self.id)}")
        name = f"LabelKindSpec {shorten(self.id)}"
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"{name}: title must be a non-empty string, got {shown(self.title)}")
        if self.kind not in LABEL_SHAPES:
            raise ValueError(f"{name}: kind must be one of {', '.join(LABEL_SHAPES)}; got {shown(self.kind)}")
        if isinstance(self.classes, list):
            object.__setattr__(self, "classes", tuple(self.classes))
        if not isinstance(self.classes, tuple):
            raise ValueError(f"{name}: classes must be a tuple of class names such as (\"signature\",), "
                             f"got {shown(self.classes)}")
        for class_name in self.classes:
            if not isinstance(class_name, str) or not class_name.strip() or class_name != class_name.strip():
                raise ValueError(f"{name}: each class must be a non-empty string without spaces around it, "
                                 f"got {shown(class_name)}")
            # the rule of cnnstudio.core.labels.label_set.check_class_name: a class becomes a folder name
            if class_name.startswith(".") or any(ch in class_name for ch in LABEL_CLASS_FORBIDDEN):
                raise ValueError(f"{name}: {shown(class_name)} cannot be a class name: it becomes a folder name, "
                                 f"so no {' '.join(LABEL_CLASS_FORBIDDEN)} and no leading dot")
        if len(set(self.classes)) != len(self.classes):
            twice = next(c for i, c in enumerate(self.classes) if c in self.classes[:i])
            raise ValueError(f"{name}: class {shown(twice)} is listed twice")
        for field_name in ("hint", "domain"):
            if not isinstance(getattr(self, field_name), str):
                raise ValueError(f"{name}: {field_name} must be a string, got {shown(getattr(self, field_name))}")
        if self.aspect is not None:
            if self.kind != "boxes":
                raise ValueError(f"{name}: aspect applies to box tools only (kind 'boxes'), not '{self.kind}'")
            if isinstance(self.aspect, bool) or not isinstance(self.aspect, (int, float)) \
                    or not math.isfinite(self.aspect) or self.aspect <= 0:
                raise ValueError(f"{name}: aspect (width / height) must be a positive number or None, "
                                 f"got {shown(self.aspect)}")
        if self.brush_size is not None:
            if self.kind != "masks":
                raise ValueError(f"{name}: brush_size applies to mask tools only (kind 'masks'), not '{self.kind}'")
            if isinstance(self.brush_size, bool) or not isinstance(self.brush_size, int) or self.brush_size < 1:
                raise ValueError(f"{name}: brush_size must be a whole number of pixels >= 1 or None, "
                                 f"got {shown(self.brush_size)}")
