"""Advice on unequal classes, in words. Pure Python (no torch), so the app can show it before training."""

from __future__ import annotations

from collections.abc import Sequence

IMBALANCE_RATIO = 3.0  # largest class / smallest class above which plain training favours the big class


def imbalance_advice(
    counts: Sequence[float], class_names: Sequence[str], weighted_loss: bool, balanced_sampling: bool
) -> str | None:
    """A warning when the training split's classes are very unequal and nothing corrects for it."""
    present = [(count, name) for count, name in zip(counts, class_names) if count > 0]
    if len(present) < 2:
        return None
    (small, small_name), (large, large_name) = min(present), max(present)
    if large / small < IMBALANCE_RATIO or weighted_loss or balanced_sampling:
        return None
    return (
        f"Imbalanced classes: {int(large)} '{large_name}' training images but only {int(small)} '{small_name}'. "
        f"A model that always answers '{large_name}' already scores {large / sum(c for c, _ in present):.0%} accuracy, "
        f"so watch recall, F1 and AUC rather than accuracy, and turn on training.class_balanced_loss or "
        f"training.balanced_sampling so the rare class counts."
    )
