"""A trained run's model, loaded from its folder, predicting on images and files.

    model = load_trained_model(run_dir)              # best weights (else last, with model.note), eval mode, CPU
    model.predict_files([Path("shelf.jpg")])         # [{"file":..., "class": "cola", ...}]
    for entry in model.iter_predictions(paths):      # the same, lazily: a few files decoded at a time
        ...

Weights come from safetensors only; nothing is unpickled. Weights that do
not fit the model, or hold NaN or infinite values, are refused with a
RunError naming the file (so evaluate, predict, threshold, export and the
app all refuse them alike).

Files are decoded one at a time and fitted to the model's input size at
once (JPEGs at a reduced draft size, at least ``DRAFT_FACTOR`` times the
input size: within one grey level of a full decode); only the fitted
squares of one batch are kept, so memory does not grow with the number of
files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.image_io import FitGeometry, fit_geometry, fit_image, read_image_and_size
from cnnstudio.core.data.splits import resize_images
from cnnstudio.core.errors import CNNStudioError, RunError
from cnnstudio.core.evaluate.box_entries import boxes_in_file
from cnnstudio.core.evaluate.defect_map_geometry import peak_in_file
from cnnstudio.core.model.builtin_heads import CLASSIFICATION_HEAD
from cnnstudio.core.model.heads import decided_labels
from cnnstudio.core.model.network import CNNModel, build_model
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.specs import HeadSpec

PREDICT_BATCH = 16  # files decoded, then predicted, at a time by iter_predictions
# JPEGs are decoded at a draft size of at least this many times the model's input size: the
# antialiased resize that follows then gives the same input as a full decode, within one grey
# level (measured on 1200x800 and 3000x2000 photos, input sizes 16 to 224).
DRAFT_FACTOR = 4
# Model outputs checked for NaN and infinite values (a damaged run's weights).
_CHECKED_OUTPUTS = ("probabilities", "score", "boxes", "heatmap")


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
        pixels) and ``peak`` (x, y of the map's strongest point in original
        pixels), and ``box`` / ``box_input`` (x0, y0, x1, y1 in the original
        image's pixels / in model-input pixels); a head that finds every object
        adds ``boxes``, each ``{"box", "score", "class"}`` in the original pixels.
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
            end = start + batch_size
            results.extend(self._predict_fitted(batch[start:end], geometries[start:end], sizes[start:end]))
        return results

    @torch.inference_mode()
    def _predict_fitted(
        self, batch: torch.Tensor, geometries: Sequence[FitGeometry], sizes: Sequence[tuple[int, int]]
    ) -> list[dict[str, Any]]:
        """Entries for a (N, 3, size, size) uint8 batch of fitted images, with their geometries and original sizes."""
        chunk = batch.to(self.device).float().div_(255)
        predictions = {k: v.detach().float().cpu() if isinstance(v, torch.Tensor) else v
                       for k, v in self.model.head.predict(self.model(chunk)).items()}
        self._check_finite(predictions)
        decided = decided_labels(predictions)
        return [self._entry(predictions, row, int(decided[row]), geometries[row], sizes[row])
                for row in range(len(predictions["probabilities"]))]

    def _check_finite(self, predictions: dict[str, Any]) -> None:
        """RunError naming the weights file when the model gives NaN or infinite outputs."""
        for key in _CHECKED_OUTPUTS:
            value = predictions.get(key)
            if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise RunError(f"{self.run_dir / 'weights' / f'{self.which}.safetensors'} gives NaN or infinite "
                               f"outputs; the run's weights are damaged")

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
            entry["peak"] = peak_in_file(heatmap, geometry, size, height, width)
        if "boxes" in predictions:
            box = predictions["boxes"][row].view(1, 4)
            entry["box_input"] = [round(float(v), 2) for v in box[0]]
            entry["box"] = [round(float(v), 2) for v in geometry.to_original(box)[0].clamp(min=torch.zeros(4), max=limits)]
        if "instance_scores" in predictions:
            entry["boxes"] = boxes_in_file(predictions, row, geometry, original_size, self.class_names)
        return entry

    def predict_files(self, paths: Sequence[str | Path], policy: str = "pad") -> list[dict[str, Any]]:
        """One entry per file, in order; an unreadable file gets ``{"file", "error"}``, not a crash."""
        return list(self.iter_predictions(paths, policy))

    def iter_predictions(
        self, paths: Iterable[str | Path], policy: str = "pad", batch_size: int = PREDICT_BATCH
    ) -> Iterator[dict[str, Any]]:
        """``predict_files`` lazily: ``batch_size`` files are decoded, predicted and given out at a time.

        Each file is fitted to the input size as soon as it is decoded (a JPEG
        at a reduced draft size), so only ``batch_size`` small squares are held,
        however many files there are. Entries come in the order of ``paths``.
        """
        pending: list[tuple[dict[str, Any], Any]] = []  # (entry, (fitted, geometry, size) or None)
        for path in paths:
            entry: dict[str, Any] = {"file": str(path)}
            try:
                pending.append((entry, self._fit_file(Path(path), policy)))
            except CNNStudioError as error:
                entry["error"] = str(error)
                pending.append((entry, None))
            if len(pending) >= batch_size:
                yield from self._predict_pending(pending)
                pending = []
        yield from self._predict_pending(pending)

    def _fit_file(self, path: Path, policy: str) -> tuple[torch.Tensor, FitGeometry, tuple[int, int]]:
        """The file fitted to the input size, the geometry from original pixels to fitted ones, its (height, width)."""
        size = self.input_size
        image, (height, width) = read_image_and_size(path, draft_size=DRAFT_FACTOR * size)
        fitted = fit_image(image, size, policy)
        image_h, image_w = int(image.shape[-2]), int(image.shape[-1])
        geometry = fit_geometry(image_h, image_w, size, policy)
        if (image_h, image_w) != (height, width):  # a JPEG draft: fitted = original * (draft / original) * scale + offset
            geometry = FitGeometry(geometry.scale_x * image_w / width, geometry.scale_y * image_h / height,
                                   geometry.offset_x, geometry.offset_y)
        return fitted, geometry, (height, width)

    def _predict_pending(self, pending: list[tuple[dict[str, Any], Any]]) -> Iterator[dict[str, Any]]:
        fitted = [item for _, item in pending if item is not None]
        if fitted:
            batch = torch.stack([image for image, _, _ in fitted])
            predictions = iter(self._predict_fitted(batch, [g for _, g, _ in fitted], [s for _, _, s in fitted]))
        for entry, item in pending:
            if item is not None:
                entry.update(next(predictions))
            yield entry


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
        head_spec = CLASSIFICATION_HEAD
    checkpoint = run.checkpoint(which)
    which = checkpoint.which
    model = build_model(config.model, head_spec.build, len(class_names), config.head.options)
    weights = run.load_weights(which)
    relative = run.weights_path(which).relative_to(run.path).as_posix()
    try:
        model.load_state_dict(weights)  # strict; heads may fill in what older runs did not save first
    except RuntimeError as error:
        detail = weights_mismatch(model.state_dict(), weights) or str(error).strip().splitlines()[0]
        raise RunError(f"{run.path}: {relative} does not fit the model in config.toml ({detail})") from None
    if any(t.is_floating_point() and not bool(torch.isfinite(t).all()) for t in weights.values()):
        raise RunError(f"{run.weights_path(which)} holds NaN or infinite values; the run's weights are damaged")
    device = torch.device(device)
    model.to(device).eval()
    return TrainedModel(config, [str(n) for n in class_names], model, run.path, which, head_id, device, checkpoint.note)


def weights_mismatch(expected: dict[str, torch.Tensor], weights: dict[str, torch.Tensor], shown: int = 2) -> str:
    """How ``weights`` do not fit a model whose state_dict is ``expected`` ("" when they fit), on one line:
    tensors of another shape first, then missing and unexpected ones, ``shown`` of each kind named."""

    def shape(tensor: torch.Tensor) -> str:
        return "x".join(str(n) for n in tensor.shape) or "a scalar"

    def listed(kind: str, names: list[str]) -> str:
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        return f"{kind}: {', '.join(names[:shown])}{more}"

    reshaped = [f"{name} is {shape(weights[name])} in the file, {shape(tensor)} in the model"
                for name, tensor in expected.items() if name in weights and weights[name].shape != tensor.shape]
    missing = [name for name in expected if name not in weights]
    unexpected = [name for name in weights if name not in expected]
    parts = reshaped[:shown]
    if len(reshaped) > shown:
        parts.append(f"{len(reshaped) - shown} more tensors of another shape")
    if missing:
        parts.append(listed("missing", missing))
    if unexpected:
        parts.append(listed("not in the model", unexpected))
    return "; ".join(parts)
