"""The Label tab's own label kinds, listed before any plugin's (see ``StudioPluginManager.label_kinds``)."""

from __future__ import annotations

from cnnstudio.core.specs import LabelKindSpec

# The Label tab's own kinds, listed before any plugin's.
BUILTIN_LABEL_KINDS = (
    LabelKindSpec(
        id="classes", title="Classes (one per image)", kind="classes",
        hint="Give each image one class. Balance the classes: a class with 10x fewer images is learnt badly.",
    ),
    LabelKindSpec(
        id="boxes", title="Boxes (objects in the image)", kind="boxes",
        hint="Draw a tight box around every object, even small or half-hidden ones: an object left "
             "unboxed teaches the model that it is background.",
    ),
    LabelKindSpec(
        id="masks", title="Defect masks (paint the defect)", kind="masks",
        hint="Paint exactly the defect; mark defect-free parts good with G. "
             "A few careful masks beat many rough ones.",
    ),
)
