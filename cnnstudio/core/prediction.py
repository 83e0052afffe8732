"""A trained run's model, loaded from its folder, predicting on images and files.

    model = load_trained_model(run_dir)              # best weights (else last, with model.note), eval mode, CPU
    model.predict_files([Path("shelf.jpg")])         # [{"file":..., "class": "cola", ...}]

Weights come from safetensors only; nothing is unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.heads import build_classification_head, decided_labels
from cnnstudio.core.image_io import FitGeometry, fit_geometry, fit_image, read_image
from cnnstudio.core.model import CNNModel, build_model
from cnnstudio.core.runs import RunFolder
from cnnstudio.core.splits import resize_images
from cnnstudio.errors import CNNStudioError, RunError
from cnnstudio.specs import HeadSpec


@dataclass
class TrainedModel:
    """A run's model in eval mode, with what is needed to read its outputs."""

    config: RunConfig
    class_names: list[str]
    model: CNNModel
    run_dir: Path
    which: str = "best"
    head_id: str = "classification"
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    note: str = ""  # why ``which`` is not the checkpoint asked for (a run stopped before its first best)

    @property
    def input_size(self) -> int:
        return self.config.model.input_size

    @property
    def threshold(self) -> float | None:
        """The head's decision threshold on the score, or None for a plain classifier."""
        value = getattr(self.model.head, "threshold", None)
        return None if value is None else float(value)

    @torch.inference_mode()
    def predict_images(
        self, images: torch.Tensor | Sequence[torch.Tensor], policy: str = "pad", batch_size: int = 128
    ) -> list[dict[str, Any]]:
        """What the model decides for each uint8 image of any size.

        ``images``: a (N, 3, H, W) uint8 tensor (stretched to the input size as
        in training) or a list of (3, H, W) uint8 images of different sizes
        (fitted with ``policy``). Each entry has ``class``, ``index``,
        ``confidence`` and ``probabilities``; heads that score or localise add
        ``score`` and ``threshold`` (``class`` is then the thresholded
        decision), ``heatmap`` ((h, w) float tensor over the whole image as the
        model sees it) with ``hotspot`` (x, y of its hottest cell in original
        pixels), and ``box`` / ``box_input`` (x0, y0, x1, y1 in the original
        image's pixels / in model-input pixels).
        """
        size = self.input_size
        if isinstance(images, torch.Tensor):
            batch = resize_images(images, size)[0]  # (N, 3, size, size) uint8
            sizes = [(int(images.shape[-2]), int(images.shape[-1]))] * len(batch)
            geometries = [fit_geometry(*sizes[0], size, "stretch")] * len(batch)
        else:
            batch = torch.stack([fit_image(image, size, policy) for image in images]) if len(images) else (
                torch.empty(0, 3, size, size, dtype=torch.uint8)
            )
            sizes = [(int(image.shape[-2]), int(image.shape[-1])) for image in images]
            geometries = [fit_geometry(height, width, size, policy) for height, width in sizes]
        results: list[dict[str, Any]] = []
        for start in range(0, len(batch), batch_size):
            chunk = batch[start : start + batch_size].to(self.device).float().div_(255)
            predictions = {k: v.detach().float().cpu() if isinstance(v, torch.Tensor) else v
                           for k, v in self.model.head.predict(self.model(chunk)).items()}
            decided = decided_labels(predictions)
            for offset in range(len(predictions["probabilities"])):
                row = start + offset
                results.append(self._entry(predictions, offset, int(decided[offset]), geometries[row], sizes[row]))
        return results

    def _entry(
        self, predictions: dict[str, Any], row: int, index: int, geometry: FitGeometry, original_size: tuple[int, int]
    ) -> dict[str, Any]:
        height, width = original_size
        # Padding bars are not part of the image: boxes and hotspots are clipped to it.
        limits = torch.tensor([width, height, width, height], dtype=torch.float32)
        probabilities = predictions["probabilities"][row]
        entry: dict[str, Any] = {
            "class": self.class_names[index],
            "index": index,
            "confidence": float(probabilities[index]),
            "probabilities": {name: float(p) for name, p in zip(self.class_names, probabilities)},
        }
        if "score" in predictions:
            entry["score"] = float(predictions["score"][row])
            if self.threshold is not None:
                entry["threshold"] = self.threshold
        if "heatmap" in predictions:
            heatmap = predictions["heatmap"][row]  # (h, w) float in [0, 1]
            entry["heatmap"] = heatmap
            cell_y, cell_x = divmod(int(heatmap.argmax()), int(heatmap.shape[1]))
            size = self.input_size
            centre = torch.tensor([[(cell_x + 0.5) * size / heatmap.shape[1], (cell_y + 0.5) * size / heatmap.shape[0]] * 2])
            hotspot = geometry.to_original(centre)[0].clamp(min=torch.zeros(4), max=limits)
            entry["hotspot"] = [round(float(v), 1) for v in hotspot[:2]]
        if "boxes" in predictions:
            box = predictions["boxes"][row].view(1, 4)
            entry["box_input"] = [round(float(v), 2) for v in box[0]]
            entry["box"] = [round(float(v), 2) for v in geometry.to_original(box)[0].clamp(min=torch.zeros(4), max=limits)]
        return entry

    def predict_files(self, paths: Sequence[str | Path], policy: str = "pad") -> list[dict[str, Any]]:
        """One entry per file, in order; an unreadable file gets ``{"file", "error"}``, not a crash."""
        entries: list[dict[str, Any]] = []
        readable: list[tuple[int, torch.Tensor]] = []
        for position, path in enumerate(paths):
            try:
                image = read_image(Path(path))
            except CNNStudioError as error:
                entries.append({"file": str(path), "error": str(error)})
                continue
            entries.append({"file": str(path)})
            readable.append((position, image))
        predictions = self.predict_images([image for _, image in readable], policy=policy)
        for (position, _), prediction in zip(readable, predictions):
            entries[position].update(prediction)
        return entries


def load_trained_model(
    run_dir: str | Path, which: str = "best", head_spec: HeadSpec | None = None, device: str | torch.device = "cpu"
) -> TrainedModel:
    """Rebuild a run's model from config.toml and run.json and load its ``which`` weights.

    Missing ``which`` weights fall back to the other checkpoint (``RunFolder.checkpoint``):
    the model's ``which`` and ``note`` say so. ``head_spec`` is needed for heads other than
    the built-in classification one (the runner gets it from the plugin manager).
    """
    run = RunFolder(run_dir)
    config = run.load_config()
    info = run.read_info()
    class_names = info.get("class_names")
    if not isinstance(class_names, list) or len(class_names) < 2:
        raise RunError(f"{run.path}: run.json is damaged (no class names)")
    head_id = str(info.get("head_id", "classification"))
    if head_spec is None:
        if head_id != "classification":
            raise RunError(f"{run.path}: the run uses head '{head_id}'; load it through its plugin")
        head_spec = HeadSpec("classification", "Classification", build_classification_head, ("classification", "defect"))
    checkpoint = run.checkpoint(which)
    which = checkpoint.which
    model = build_model(config.model, head_spec.build, len(class_names), config.head.options)
    weights = run.load_weights(which)
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        relative = run.weights_path(which).relative_to(run.path).as_posix()
        first = str(error).strip().splitlines()[0]
        raise RunError(f"{run.path}: {relative} does not fit the model in config.toml ({first})") from None
    device = torch.device(device)
    model.to(device).eval()
    return TrainedModel(config, [str(n) for n in class_names], model, run.path, which, head_id, device, checkpoint.note)
