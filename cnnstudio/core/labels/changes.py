"""How the labels changed between two moments (the last run and now), in words for the Train tab."""

from __future__ import annotations

from dataclasses import dataclass

from cnnstudio.core.labels.label_set import ImageLabel


@dataclass(frozen=True)
class LabelChanges:
    """Counts of images whose label was added, removed, or changed (class, boxes or mask)."""

    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        if not self.any:
            return "Labels unchanged since the last run."
        parts = [f"{count} {what}" for count, what in ((self.added, "newly labelled"), (self.changed, "relabelled"),
                                                        (self.removed, "no longer labelled")) if count]
        return f"Labels since the last run: {', '.join(parts)}."


def label_changes(before: dict[str, ImageLabel], after: dict[str, ImageLabel]) -> LabelChanges:
    """Compare the labels that count for training (``LabelSet.counted()``) at two moments."""
    added = sum(1 for key in after if key not in before)
    removed = sum(1 for key in before if key not in after)
    changed = sum(1 for key in after if key in before and not after[key].same_as(before[key]))
    return LabelChanges(added, removed, changed)
