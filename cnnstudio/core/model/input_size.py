"""How model.input_size relates to the size the images load at.

``model.input_size`` at its default follows a folder loaded at its images' own
size (``dataset.options.size = "auto"``); any other value is the person's
choice, kept as it is. A model input smaller than the images loses detail, so
``shrink_note`` says by what factor and what keeping the detail would cost.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.config import ModelConfig

DEFAULT_INPUT_SIZE = ModelConfig.input_size  # the dataclass default (64)


def followed_input_size(model_input: int, size_option: Any, loaded: int | None) -> int | None:
    """The input size the model takes by following the images, or None when it keeps ``model_input``.

    It follows only a folder loaded at ``"auto"`` size and a model input left at its default.
    """
    if size_option != "auto" or not loaded or model_input != DEFAULT_INPUT_SIZE or loaded == model_input:
        return None
    return int(loaded)


def shrink_cost(model: ModelConfig, loaded: int, num_classes: int = 2, head_build: Any = None,
                head_options: dict[str, Any] | None = None) -> tuple[float, float] | None:
    """(FLOPs ratio, layer-memory ratio) of a model input of ``loaded`` px over ``model.input_size``;
    None when either size cannot be summarised (the Model tab names that problem)."""
    from dataclasses import replace

    from cnnstudio.core.model.summary import summarize

    try:
        small = summarize(model, num_classes, head_options, head_build)
        large = summarize(replace(model, input_size=int(loaded)), num_classes, head_options, head_build)
    except Exception:  # noqa: BLE001 - an unbuildable model: no figure rather than a crash
        return None
    if small.errors or large.errors or not small.total_flops or not small.activation_bytes:
        return None
    return large.total_flops / small.total_flops, large.activation_bytes / small.activation_bytes


def shrink_note(model: ModelConfig, loaded: int | None, num_classes: int = 2, head_build: Any = None,
                head_options: dict[str, Any] | None = None) -> str:
    """One sentence when ``model.input_size`` is smaller than the loaded images, else ""."""
    size = int(model.input_size)
    if not loaded or loaded <= size:
        return ""
    factor = loaded / size
    text = (f"model.input_size {size} px is {factor:.1f}x smaller than the images ({loaded} px): detail finer "
            f"than {factor:.1f} image pixels is lost (a 2 px scratch becomes {2 / factor:.1f} px)")
    cost = shrink_cost(model, loaded, num_classes, head_build, head_options)
    if cost is not None:
        text += (f"; a model input of {loaded} px would keep it at {cost[0]:.1f}x the compute per image "
                 f"and {cost[1]:.1f}x the layer memory")
    return text + "."
