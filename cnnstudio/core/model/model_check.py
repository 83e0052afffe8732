"""Run any nn.Module on a random batch and explain shape mistakes in words.

Made for hand-written models like the lesson's published SimpleCNN, whose
``x.view(-1, 16 * 8 * 8)`` turns a batch of 10 images of 32x32 into 40 rows:
the forward pass "works" and only the loss fails, far from the cause. Hooks
record the map that reaches the first linear layer, so the message can say
which flatten size the map has and which one the model uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ForwardProblem:
    code: str  # batch_mismatch | shape_error | wrong_classes
    message: str
    inferred_flatten: int | None = None  # values per image reaching the first linear layer
    used_flatten: int | None = None  # values per row the model's linear layer takes


class _Recorder:
    """Remembers the last multi-dimensional map seen, and what reaches the first Linear."""

    def __init__(self) -> None:
        self.last_map: tuple[str, tuple[int, ...]] | None = None
        self.linear: tuple[str, nn.Linear, tuple[int, ...]] | None = None
        self.map_before_linear: tuple[str, tuple[int, ...]] | None = None

    def attach(self, module: nn.Module) -> list[torch.utils.hooks.RemovableHandle]:
        handles = []
        for name, child in module.named_modules():
            if list(child.children()):
                continue  # leaves only
            if isinstance(child, nn.Linear):
                handles.append(child.register_forward_pre_hook(self._linear_hook(name)))
            else:
                handles.append(child.register_forward_hook(self._map_hook(name)))
        return handles

    def _map_hook(self, name: str):
        def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
            if isinstance(output, torch.Tensor) and output.dim() == 4:
                self.last_map = (name, tuple(output.shape))

        return hook

    def _linear_hook(self, name: str):
        def hook(module: nn.Linear, inputs: tuple) -> None:  # registered on nn.Linear layers only
            if self.linear is None and inputs and isinstance(inputs[0], torch.Tensor):
                self.linear = (name, module, tuple(inputs[0].shape))
                self.map_before_linear = self.last_map

        return hook


def check_forward(
    module: nn.Module,
    input_shape: tuple[int, int, int] = (3, 32, 32),
    batch_size: int = 10,
    num_classes: int | None = None,
) -> ForwardProblem | None:
    """None when a (batch_size, *input_shape) batch gives batch_size rows (of num_classes, if given)."""
    recorder = _Recorder()
    handles = recorder.attach(module)
    was_training = module.training
    generator = torch.Generator().manual_seed(0)
    images = torch.rand((batch_size, *input_shape), generator=generator)  # (N, C, H, W) float
    size = "x".join(str(d) for d in input_shape)
    try:
        module.eval()
        with torch.no_grad():
            output = module(images)
    except (RuntimeError, ValueError) as error:
        return _shape_error(recorder, batch_size, size, error)
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()

    logits = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(logits, torch.Tensor):
        return None  # not a tensor-returning model; nothing to compare
    rows = logits.shape[0] if logits.dim() else 1
    if rows != batch_size:
        return _batch_mismatch(recorder, batch_size, size, rows)
    if num_classes is not None and (logits.dim() < 2 or logits.shape[-1] != num_classes):
        got = logits.shape[-1] if logits.dim() >= 2 else 1
        return ForwardProblem(
            "wrong_classes",
            f"The model gives {got} outputs per image but the dataset has {num_classes} classes: "
            f"the last linear layer's out_features must be {num_classes}.",
        )
    return None


def _map_words(recorder: _Recorder) -> tuple[int | None, str]:
    """Values per image in the map that reached the first linear layer, and its description."""
    if recorder.map_before_linear is None:
        return None, ""
    name, shape = recorder.map_before_linear
    c, h, w = shape[1:]
    return c * h * w, f"the map after {name} is {c}x{h}x{w} = {c * h * w} values per image"


def _batch_mismatch(recorder: _Recorder, batch_size: int, size: str, rows: int) -> ForwardProblem:
    inferred, map_words = _map_words(recorder)
    message = f"A batch of {batch_size} images of {size} came out as {rows} rows, not {batch_size}: "
    used = None
    if recorder.linear is not None:
        name, linear, _shape = recorder.linear
        used = linear.in_features
        if inferred is not None:
            message += (
                f"{map_words}, but it is flattened into rows of {used} for {name} (Linear({used}, ...)), "
                f"so x.view(-1, {used}) turns each image into {inferred / used:g} rows. "
                f"Flatten with x.flatten(1) and size {name} from the map: nn.Linear({inferred}, ...). "
            )
        else:
            message += f"the input to {name} was reshaped into rows of {used} values that do not match one image. "
    else:
        message += "the model reshapes its batch so that rows no longer match images. "
    message += "The loss would then fail on a batch-size mismatch between outputs and labels."
    return ForwardProblem("batch_mismatch", message, inferred, used)


def _shape_error(recorder: _Recorder, batch_size: int, size: str, error: Exception) -> ForwardProblem:
    inferred, map_words = _map_words(recorder)
    message = f"The forward pass fails on a batch of {batch_size} images of {size}"
    used = None
    if recorder.linear is not None:
        name, linear, shape = recorder.linear
        used = linear.in_features
        got = shape[-1] if shape else None
        if got is not None and got != used:
            message += f": {name} expects {used} inputs per row but receives {got}"
            if map_words:
                message += f" ({map_words})"
    elif recorder.last_map is not None:
        name, shape = recorder.last_map
        c, h, w = shape[1:]
        inferred = c * h * w
        message += f" after {name}, whose map is {c}x{h}x{w} = {inferred} values per image"
    message += f". Original error: {error}"
    return ForwardProblem("shape_error", message, inferred, used)
