"""A trained run's model, loaded from its folder, predicting on images and files.

    model = load_trained_model(run_dir)              # best weights, eval mode, CPU
    model.predict_files([Path("shelf.jpg")])         # [{"file":..., "class": "cola", ...}]

Weights come from safetensors only; nothing is unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.heads import build_classification_head
from cnnstudio.core.image_io import fit_image, read_image
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

    @property
    def input_size(self) -> int:
        return self.config.model.input_size

    @torch.inference_mode()
    def predict_images(
        self, images: torch.Tensor | Sequence[torch.Tensor], policy: str = "pad", batch_size: int = 128
    ) -> list[dict[str, Any]]:
        """Class, index and per-class probabilities for each uint8 image of any size.

        ``images``: a (N, 3, H, W) uint8 tensor (resized as in training) or a
        list of (3, H, W) uint8 images of different sizes (fitted with ``policy``).
        """
        size = self.input_size
        if isinstance(images, torch.Tensor):
            batch = resize_images(images, size)[0]  # (N, 3, size, size) uint8
        else:
            batch = torch.stack([fit_image(image, size, policy) for image in images]) if len(images) else (
                torch.empty(0, 3, size, size, dtype=torch.uint8)
            )
        results: list[dict[str, Any]] = []
        head = self.model.head
        for start in range(0, len(batch), batch_size):
            chunk = batch[start : start + batch_size].to(self.device).float().div_(255)
            predictions = head.predict(self.model(chunk))
            for probabilities in predictions["probabilities"].float().cpu():
                index = int(probabilities.argmax())
                results.append({
                    "class": self.class_names[index],
                    "index": index,
                    "confidence": float(probabilities[index]),
                    "probabilities": {name: float(p) for name, p in zip(self.class_names, probabilities)},
                })
        return results

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

    ``head_spec`` is needed for heads other than the built-in classification
    one (the runner gets it from the plugin manager).
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
    return TrainedModel(config, [str(n) for n in class_names], model, run.path, which, head_id, device)
