"""The two-class decision rule every thresholded head shares, and what a valid threshold is.

A head that scores "not class 0" (defects, tampering, logo presence, any
two-class classifier) gives each image ``score = 1 - p(class 0)`` and decides
"not class 0" when ``score >= threshold``. Threshold curves and solvers
(``cnnstudio.core.evaluate.threshold_curves``) use the same rule, so a solved
threshold gives exactly the decisions that predictions and exports make.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.shorten import shown

DEFAULT_THRESHOLD = 0.5  # the same decisions as the argmax of two classes


def validate_threshold(value: Any, field: str = "threshold") -> float:
    """``value`` as a float strictly between 0 and 1, or ConfigError naming ``field``."""
    # A range comparison also rejects nan and inf, and cannot overflow (float() of a huge int would).
    # "not value <= 0" rather than "0 < value": typeshed's numbers.Real declares only __lt__ and __le__.
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value < 1 and not value <= 0:
        return float(value)
    raise ConfigError(f"{field} must be a number between 0 and 1 (exclusive), got {shown(value)}")


def decide(probabilities: torch.Tensor, threshold: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(score, labels): score = 1 - p(class 0); class 0 below the threshold, else the likeliest other class."""
    score = 1.0 - probabilities[:, 0]
    other = probabilities[:, 1:].argmax(dim=1) + 1
    labels = torch.where(score < threshold, torch.zeros_like(other), other)
    return score, labels
