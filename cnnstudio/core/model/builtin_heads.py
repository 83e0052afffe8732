"""The spec of the built-in classification head; torch is imported only when a model is built.

The host's internal plugin registers it, and a run saved with it loads
without the plugin manager (``cnnstudio.core.evaluate.prediction``).
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.specs import HeadSpec


def build_classification_head(feature_shape: tuple[int, int, int], num_classes: int,
                              options: dict[str, Any]) -> Any:
    """Build ``cnnstudio.core.model.heads.ClassificationHead`` (imports torch on first call)."""
    from cnnstudio.core.model.heads import build_classification_head as build

    return build(feature_shape, num_classes, options)


CLASSIFICATION_HEAD = HeadSpec(
    id="classification",
    title="Classifier",
    tasks=("classification", "defect", "detection"),
    build=build_classification_head,
    options=("global_pool",),
    description=(
        "Flattens the backbone's feature map (optionally after global average or max "
        "pooling, model.global_pool) and maps it with one linear layer to a "
        "score per class; softmax turns the scores into probabilities and the loss is "
        "cross-entropy. For defect and detection datasets it answers the simpler "
        "question 'which class is this image?' (for example good vs defective), "
        "which is a good first baseline before a task-specific head."
    ),
)
