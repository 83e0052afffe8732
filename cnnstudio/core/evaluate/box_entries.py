"""Every box of a multi-instance detection: in the file's own pixels for predict, in model-input pixels for reports."""

from __future__ import annotations

from typing import Any

import torch

from cnnstudio.core.data.image_io import FitGeometry
from cnnstudio.core.evaluate.detection import instances


def boxes_in_file(
    predictions: dict[str, Any], row: int, geometry: FitGeometry, original_size: tuple[int, int], class_names: list[str],
) -> list[dict[str, Any]]:
    """Image ``row``'s boxes, best first: ``{"box": [x0, y0, x1, y1], "score": s, "class": name, "box_input": [...]}``.

    ``box_input`` is the box in model-input pixels (what the Try tab draws on). Boxes are mapped from model-input pixels back to the file's (padding bars
    and crops undone, clipped to the picture); every box the head kept (it
    drops those under its own low floor) is listed, whatever the threshold.
    """
    height, width = original_size
    boxes, scores, classes = instances(predictions, row)
    if len(boxes) == 0:
        return []
    limits = torch.tensor([width, height, width, height], dtype=torch.float32)
    in_file = geometry.to_original(boxes.float().reshape(-1, 4)).clamp(min=torch.zeros(4), max=limits)
    return [
        {"box": [round(float(v), 2) for v in box], "score": round(float(score), 4), "class": class_names[int(index)],
         "box_input": [round(float(v), 2) for v in fitted]}
        for box, fitted, score, index in zip(in_file, boxes, scores, classes)
    ]


def boxes_in_input(predictions: dict[str, Any], class_names: list[str]) -> list[list[dict[str, Any]]] | None:
    """Every image's boxes in model-input pixels, best first (``{"box", "score", "class"}``); None for other heads."""
    if "instance_scores" not in predictions:
        return None
    found = []
    for row in range(len(predictions["instance_scores"])):
        boxes, scores, classes = instances(predictions, row)
        found.append([{"box": [round(float(v), 2) for v in box], "score": round(float(score), 4),
                       "class": class_names[int(index)]} for box, score, index in zip(boxes, scores, classes)])
    return found
