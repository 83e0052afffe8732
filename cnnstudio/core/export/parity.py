"""Parity of an exported artifact with the PyTorch model it came from.

The reference is ``ExportableModel`` run eagerly in PyTorch on the same raw
uint8 images the artifact receives (onnxruntime for ONNX, ``torch.jit.load``
for TorchScript). It passes when the largest absolute logit difference is at
most ``LOGIT_TOLERANCE`` and every decision agrees. Agreement with
``TrainedModel.predict_images`` (the path ``cnnstudio predict`` takes, whose
resize rounds to whole grey levels) is recorded too, as information.

The report written beside the file (``<file>.parity.json``) records the
sha256 and size of the exact bytes that were checked. ``read_parity_report``
is the one place that reads such a report back: it re-hashes the file and
says "stale" when the file changed after its check, "missing" when it is
gone, and "unverified" for an old report that recorded no hash. Everything
that shows parity (the HTML report, the export dialog) goes through it.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.evaluate.evaluation import split_indices
from cnnstudio.core.evaluate.prediction import TrainedModel
from cnnstudio.core.export.exported_model import ExportableModel

LOGIT_TOLERANCE = 1e-4
MIN_IMAGES = 200
BATCH = 64


@dataclass
class ParityReport:
    """How closely an exported file reproduces the PyTorch model's outputs and decisions."""

    format: str
    file: str
    num_images: int
    max_abs_logit_diff: float
    max_abs_probability_diff: float
    decisions_agreeing: int
    decisions_agree_fraction: float
    passed: bool
    threshold: float | None
    input_description: str
    torch_version: str
    onnxruntime_version: str | None
    opset: int | None
    seconds: float
    predict_agreeing: int = 0
    predict_agree_fraction: float = 0.0
    export_seconds: float | None = None
    tolerance: float = LOGIT_TOLERANCE
    max_abs_output_diffs: dict[str, float] = field(default_factory=dict)
    # The exact file that was checked: its sha256 (hex) and size in bytes.
    sha256: str | None = None
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """A few lines for people."""
        verdict = "PASSED" if self.passed else "FAILED"
        threshold = "none (highest probability)" if self.threshold is None else f"{self.threshold:.4f}"
        runtime = f"onnxruntime {self.onnxruntime_version}, opset {self.opset}" if self.format == "onnx" else "TorchScript"
        lines = [
            f"Parity {verdict}: {self.format} vs PyTorch on {self.num_images} images ({self.input_description})",
            f"  max |logit difference|        {self.max_abs_logit_diff:.2e} (limit {self.tolerance:.0e})",
            f"  max |probability difference|  {self.max_abs_probability_diff:.2e}",
            f"  decisions agreeing            {self.decisions_agreeing}/{self.num_images} "
            f"({100 * self.decisions_agree_fraction:.2f}%, 100% needed)",
            f"  agreeing with `cnnstudio predict`: {self.predict_agreeing}/{self.num_images} "
            f"({100 * self.predict_agree_fraction:.2f}%)",
            f"  decision threshold {threshold}; torch {self.torch_version}, {runtime}; check took {self.seconds:.1f} s",
        ]
        if self.export_seconds is not None:
            lines[-1] += f", export {self.export_seconds:.1f} s"
        return "\n".join(lines)


def parity_images(config: RunConfig, imageset: ImageSet, minimum: int = MIN_IMAGES) -> tuple[torch.Tensor, str]:
    """The run's validation images (raw, as the dataset has them), topped up from training to ``minimum``.

    Returns (N, 3, H, W) uint8 images and a description of where they came from.
    """
    val = split_indices(config.training, config.seed, imageset.labels, "val", imageset.split_roles)
    height, width = int(imageset.images.shape[-2]), int(imageset.images.shape[-1])
    if len(val) >= minimum:
        return imageset.images[val], f"all {len(val)} validation images, {width}x{height}"
    train = split_indices(config.training, config.seed, imageset.labels, "train", imageset.split_roles)
    extra = train[: minimum - len(val)]
    chosen = torch.cat([val, extra])
    short = "" if len(chosen) >= minimum else f"; the run has no more, so {len(chosen)} in all"
    return imageset.images[chosen], (
        f"all {len(val)} validation images + {len(extra)} training images "
        f"(validation has fewer than {minimum}{short}), {width}x{height}"
    )


def _load_runner(path: Path, format: str) -> tuple[Any, str | None, int | None]:
    """A function images (N, H, W, 3) uint8 -> list of output tensors, the ORT version and the opset."""
    if format == "onnx":
        import onnx
        import onnxruntime

        opset = next((o.version for o in onnx.load(str(path), load_external_data=False).opset_import if o.domain in ("", "ai.onnx")), None)
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return (lambda x: [torch.from_numpy(v) for v in session.run(None, {"images": x.numpy()})]), onnxruntime.__version__, opset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "torch.jit is deprecated": it still loads
        module = torch.jit.load(str(path), map_location="cpu").eval()
    return (lambda x: list(module(x))), None, None


@torch.inference_mode()
def parity_check(
    trained: TrainedModel, artifact_path: Path, format: str, images: torch.Tensor, input_description: str = ""
) -> ParityReport:
    """Compare the artifact with the eager ``ExportableModel`` on ``images`` ((N, 3, H, W) uint8)."""
    started = time.perf_counter()
    reference = ExportableModel(trained).eval()
    run, ort_version, opset = _load_runner(Path(artifact_path), format)
    names = reference.output_names
    diffs = dict.fromkeys(names, 0.0)
    agreeing = predict_agreeing = 0
    # The ``cnnstudio predict`` path, for the record.
    predicted = torch.tensor([entry["index"] for entry in trained.predict_images(images)], dtype=torch.int64)
    for start in range(0, len(images), BATCH):
        chunk = images[start : start + BATCH].permute(0, 2, 3, 1).contiguous()
        expected, actual = list(reference(chunk)), run(chunk)
        for name, a, b in zip(names, expected, actual):
            diffs[name] = max(diffs[name], float((a.float() - b.float()).abs().max()) if a.numel() else 0.0)
        agreeing += int((expected[2] == actual[2]).sum())
        predict_agreeing += int((predicted[start : start + BATCH] == actual[2]).sum())
    count = len(images)
    logit_diff = diffs["logits"]
    return ParityReport(
        format=format, file=str(artifact_path), num_images=count,
        max_abs_logit_diff=logit_diff, max_abs_probability_diff=diffs["probabilities"],
        decisions_agreeing=agreeing, decisions_agree_fraction=agreeing / count if count else 0.0,
        passed=bool(count) and logit_diff <= LOGIT_TOLERANCE and agreeing == count,
        threshold=trained.threshold, input_description=input_description or f"{count} images",
        torch_version=torch.__version__, onnxruntime_version=ort_version, opset=opset,
        seconds=round(time.perf_counter() - started, 3),
        predict_agreeing=predict_agreeing, predict_agree_fraction=predict_agreeing / count if count else 0.0,
        max_abs_output_diffs=diffs,
    )


# ---- reading a report back ---------------------------------------------------------

PARITY_SUFFIX = ".parity.json"
STALE = "stale: the model file changed after its parity check"
MISSING = "missing: the model file is not there any more"
UNVERIFIED = "unverified (no hash recorded)"


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class ParityStatus:
    """A ``<file>.parity.json`` read back and checked against the file beside it.

    ``status``: "passed", "FAILED", "stale" (the file's hash differs from the
    one checked), "missing" (no file beside the report), "unverified" (an old
    report without a hash) or "unreadable" (the report itself). Only "passed"
    means the file as it is now was checked and passed.
    """

    parity_file: Path
    model_file: Path
    status: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def model_file_of(parity_file: Path) -> Path:
    """The model file a ``<file>.parity.json`` belongs to: the one beside it (the folder may have moved)."""
    parity_file = Path(parity_file)
    return parity_file.with_name(parity_file.name.removesuffix(PARITY_SUFFIX))


def read_parity_report(parity_file: Path) -> ParityStatus:
    """Read ``<file>.parity.json`` and check that ``<file>`` is still the file it checked (sha256)."""
    parity_file = Path(parity_file)
    model = model_file_of(parity_file)
    try:
        data = json.loads(parity_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        return ParityStatus(parity_file, model, "unreadable", f"unreadable ({error})")
    if not isinstance(data, dict):
        return ParityStatus(parity_file, model, "unreadable", "unreadable (expected a JSON object)")
    if not model.is_file():
        return ParityStatus(parity_file, model, "missing", MISSING, data)
    recorded, size = data.get("sha256"), data.get("size")
    if isinstance(recorded, str) and recorded:
        try:
            stat_size = model.stat().st_size
            same = (not isinstance(size, int) or size == stat_size) and file_digest(model)[0] == recorded.lower()
        except OSError as error:
            return ParityStatus(parity_file, model, "unreadable", f"unreadable ({model.name}: {error.strerror or error})", data)
        if not same:
            return ParityStatus(parity_file, model, "stale", STALE, data)
        if data.get("passed") is True:
            return ParityStatus(parity_file, model, "passed", "passed", data)
        return ParityStatus(parity_file, model, "FAILED", "FAILED", data)
    if data.get("passed") is not True:
        return ParityStatus(parity_file, model, "FAILED", "FAILED", data)
    return ParityStatus(parity_file, model, "unverified", UNVERIFIED, data)
