"""The labels a person gives a folder of images: one kind, its classes, and each image's label.

A LabelSet is what the Label tab edits and what the label file stores:

    labels = LabelSet.empty(root, kind="boxes", classes=["logo"])
    labels.set(ImageLabel(status="labelled", boxes=(Box(10, 20, 80, 60, "logo"),)), "a.jpg")

Three kinds, as the Label tab offers them:

- ``classes``: each image gets one class (``class_name``);
- ``boxes``: each image gets zero or more boxes, each with a class; a labelled
  image without boxes is a background image (nothing to find);
- ``masks``: each image is ``good`` (``class_name`` is the normal class) or
  has a defect of one kind (``class_name``) painted as a mask, one byte per
  pixel of the original image (1 = defect).

Images are keyed by their path relative to the folder, with forward slashes.
Box corners are pixels of the original image. Nothing here imports Qt or torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

KINDS = ("classes", "boxes", "masks")
# unlabelled: nothing said yet; labelled: the label counts; skip: leave this image out;
# unsure: looked at, not decided (left out of training, shown by the filter).
STATUSES = ("unlabelled", "labelled", "skip", "unsure")
GOOD_CLASS = "good"  # the mask kind's "no defect" class, first in its class list
GOOD_COLOUR = "#3cb44b"
# Distinct colours for new classes, in order (a person can change each).
CLASS_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
                 "#f032e6", "#bfef45", "#469990", "#9a6324", "#800000", "#000075")


@dataclass(frozen=True)
class Box:
    """A box in pixels of the original image, with its class name."""

    x0: float
    y0: float
    x1: float
    y1: float
    class_name: str

    def normalised(self) -> Box:
        """The same box with x0 <= x1 and y0 <= y1 (a box drawn right-to-left)."""
        return Box(min(self.x0, self.x1), min(self.y0, self.y1), max(self.x0, self.x1), max(self.y0, self.y1),
                   self.class_name)

    @property
    def area(self) -> float:
        return abs(self.x1 - self.x0) * abs(self.y1 - self.y0)


@dataclass(frozen=True)
class ImageLabel:
    """One image's label. ``mask`` is (H, W) uint8 of the original image's size, or None.

    ``suggested`` marks a label the model pre-filled and the person has not yet
    accepted; a suggestion does not count as labelled until accepted.
    """

    status: str = "unlabelled"
    class_name: str | None = None
    boxes: tuple[Box, ...] = ()
    mask: np.ndarray | None = field(default=None, compare=False)
    suggested: bool = False
    score: float | None = None  # the model's uncertainty for a suggestion (higher: more useful to label)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"label status must be one of {STATUSES}, got {self.status!r}")

    @property
    def counts(self) -> bool:
        """True when this label is used for training: labelled and not a pending suggestion."""
        return self.status == "labelled" and not self.suggested

    def same_as(self, other: ImageLabel) -> bool:
        """Equal labels, masks compared pixel by pixel."""
        if self != other:
            return False
        if (self.mask is None) != (other.mask is None):
            return False
        return self.mask is None or other.mask is None or bool(np.array_equal(self.mask, other.mask))

    def with_mask(self, mask: np.ndarray | None) -> ImageLabel:
        return replace(self, mask=mask)


UNLABELLED = ImageLabel()


@dataclass(frozen=True)
class LabelClass:
    """A class a person made: its name and the colour it is drawn in (#rrggbb)."""

    name: str
    colour: str


class LabelSet:
    """Every image of a folder and its label, for one label kind.

    ``images`` lists the folder's image paths (relative, posix) in the order
    they are shown; ``labels`` holds only images that have a label other than
    the default unlabelled one.
    """

    def __init__(self, root: Path, kind: str, classes: Iterable[LabelClass], images: Iterable[str],
                 labels: dict[str, ImageLabel] | None = None, label_kind: str = "") -> None:
        if kind not in KINDS:
            raise ValueError(f"label kind must be one of {KINDS}, got {kind!r}")
        self.root = Path(root)
        self.kind = kind
        self.label_kind = label_kind or kind  # the tool that made it (a plugin's label kind id, or the kind)
        self.classes: list[LabelClass] = list(classes)
        self.images: list[str] = list(images)
        self.labels: dict[str, ImageLabel] = dict(labels or {})

    @classmethod
    def empty(cls, root: Path, kind: str, classes: Iterable[str] = (), images: Iterable[str] = ()) -> LabelSet:
        """A set with no labels yet; mask sets always start with the good class."""
        names = list(classes)
        if kind == "masks" and GOOD_CLASS not in names:
            names.insert(0, GOOD_CLASS)
        made = cls(root, kind, [], images)
        for name in names:
            made.add_class(name)
        return made

    # ---- classes ------------------------------------------------------------------
    @property
    def class_names(self) -> list[str]:
        return [item.name for item in self.classes]

    def colour_of(self, name: str | None) -> str:
        for item in self.classes:
            if item.name == name:
                return item.colour
        return "#808080"

    def add_class(self, name: str, colour: str | None = None) -> LabelClass:
        """Add a class (a name not yet used, not empty); its colour is the next unused one unless given."""
        name = check_class_name(name)
        if name in self.class_names:
            raise ValueError(f"there is already a class named {name!r}")
        used = {item.colour for item in self.classes}
        if colour is None and name == GOOD_CLASS and GOOD_COLOUR not in used:
            colour = GOOD_COLOUR  # good parts in green, whatever their place in the list
        colour = colour or next((c for c in CLASS_COLOURS if c not in used), CLASS_COLOURS[len(self.classes) % 12])
        made = LabelClass(name, colour)
        self.classes.append(made)
        return made

    def rename_class(self, old: str, new: str) -> None:
        """Rename a class everywhere it is used (image classes and box classes)."""
        new = check_class_name(new)
        if old == new:
            return
        if new in self.class_names:
            raise ValueError(f"there is already a class named {new!r}")
        self.classes = [LabelClass(new, c.colour) if c.name == old else c for c in self.classes]
        for key, label in list(self.labels.items()):
            boxes = tuple(replace(b, class_name=new) if b.class_name == old else b for b in label.boxes)
            class_name = new if label.class_name == old else label.class_name
            if boxes != label.boxes or class_name != label.class_name:
                self.labels[key] = replace(label, boxes=boxes, class_name=class_name)

    def set_colour(self, name: str, colour: str) -> None:
        self.classes = [LabelClass(c.name, colour) if c.name == name else c for c in self.classes]

    # ---- labels -------------------------------------------------------------------
    def get(self, image: str) -> ImageLabel:
        return self.labels.get(image, UNLABELLED)

    def set(self, label: ImageLabel, image: str) -> None:
        """Give ``image`` this label (the unlabelled default removes its entry)."""
        if image not in self.images:
            raise KeyError(f"{image}: not an image of {self.root}")
        if label.same_as(UNLABELLED):
            self.labels.pop(image, None)
        else:
            self.labels[image] = label

    def counted(self) -> dict[str, ImageLabel]:
        """The labels that count for training, by image."""
        return {key: label for key, label in self.labels.items() if label.counts and key in self.images}

    def progress(self) -> dict[str, int]:
        """How many images each class has (boxes: how many boxes), plus "unlabelled", "skip" and "unsure"."""
        counts = {name: 0 for name in self.class_names}
        counts.update(unlabelled=0, skip=0, unsure=0)
        for image in self.images:
            label = self.get(image)
            if not label.counts:
                counts["unlabelled" if label.status in ("unlabelled", "labelled") else label.status] += 1
            elif self.kind == "boxes":
                for box in label.boxes:
                    counts[box.class_name] = counts.get(box.class_name, 0) + 1
            elif label.class_name is not None:
                counts[label.class_name] = counts.get(label.class_name, 0) + 1
        return counts

    def unlabelled(self) -> list[str]:
        return [image for image in self.images if not self.get(image).counts
                and self.get(image).status not in ("skip", "unsure")]


def check_class_name(name: str) -> str:
    """The name, stripped; a ValueError saying why when it cannot be a class (it becomes a folder name)."""
    name = str(name).strip()
    if not name:
        raise ValueError("a class needs a name")
    if name.startswith(".") or any(ch in name for ch in '/\\:*?"<>|') or name in (".", ".."):
        raise ValueError(f"{name!r} cannot be a class name: it becomes a folder name, so no / \\ : * ? \" < > | "
                         "and no leading dot")
    return name
