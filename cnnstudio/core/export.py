"""Export a trained run to TorchScript or ONNX, check parity, write the report beside the file.

    path, report = export_model(trained, "onnx", Path("model.onnx"), images, "400 validation images")

The artifact is an ``ExportableModel`` (core/export_model.py): it takes raw
(N, H, W, 3) uint8 RGB images of any size and applies the resize,
normalisation and decision threshold itself. Every export is followed by a
parity check (core/export_parity.py); its report is written to
``<file>.parity.json`` together with what the outputs mean (class names,
input size, threshold, output names). A failed check still leaves both files.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.atomic import atomic_write_text
from cnnstudio.core.export_model import ExportableModel
from cnnstudio.core.export_parity import ParityReport, parity_check
from cnnstudio.core.prediction import TrainedModel
from cnnstudio.errors import ConfigError, RunError

FORMATS: dict[str, str] = {"onnx": "onnx", "torchscript": "pt"}
# Extra file inside a TorchScript archive with what the outputs mean.
TORCHSCRIPT_METADATA = "cnnstudio.json"


def check_format(format: str) -> str:
    """``format`` lower-cased, or ConfigError naming the choices."""
    name = str(format).lower()
    if name not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    return name


def artifact_metadata(trained: TrainedModel, wrapper: ExportableModel) -> dict[str, Any]:
    """What a user of the artifact needs to read its outputs."""
    return {
        "run_dir": str(trained.run_dir),
        "class_names": list(trained.class_names),
        "input": "images: (N, H, W, 3) uint8 RGB, any H and W (resized inside to input_size x input_size)",
        "input_size": trained.input_size,
        "threshold": trained.threshold,
        "decision": (
            "class 0 when score = 1 - p(class 0) is below the threshold, else the likeliest other class"
            if trained.threshold is not None else "the class with the highest probability"
        ),
        "outputs": list(wrapper.output_names),
    }


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence the exporters' progress prints and warnings; exceptions still propagate."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [logger.level for logger in loggers]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def export_torchscript(trained: TrainedModel, path: Path) -> Path:
    """Write ``trained`` as a TorchScript archive taking raw uint8 images of any size.

    The network (fixed input size after the resize) is traced; the wrapper
    around it, whose resize depends on the image size, is scripted so that it
    stays shape-generic.
    """
    wrapper = ExportableModel(trained).eval()
    size = wrapper.size
    with _quiet(), torch.no_grad():
        wrapper.core = torch.jit.trace(wrapper.core, torch.rand(2, 3, size, size), check_trace=False)
        scripted = torch.jit.script(wrapper)
    extra = {TORCHSCRIPT_METADATA: json.dumps(artifact_metadata(trained, wrapper))}
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet():
        torch.jit.save(scripted, str(path), _extra_files=extra)
    return path


def export_onnx(trained: TrainedModel, path: Path) -> Path:
    """Write ``trained`` as ONNX (the installed torch's default opset) with dynamic batch, height and width.

    Uses the dynamo exporter: the legacy one cannot export an antialiased resize.
    """
    import onnx

    wrapper = ExportableModel(trained).eval()
    batch, height, width = (torch.export.Dim(name, min=lowest) for name, lowest in (("batch", 1), ("height", 2), ("width", 2)))
    example = torch.zeros(2, wrapper.size + 7, wrapper.size + 3, 3, dtype=torch.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet(), torch.no_grad():
        torch.onnx.export(
            wrapper, (example,), str(path), dynamo=True, input_names=["images"], output_names=wrapper.output_names,
            dynamic_shapes={"images": {0: batch, 1: height, 2: width}}, verbose=False, external_data=False,
        )
    model = onnx.load(str(path))
    for key, value in artifact_metadata(trained, wrapper).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.save(model, str(path))
    return path


def export_model(
    trained: TrainedModel, format: str, path: Path, images: torch.Tensor, input_description: str
) -> tuple[Path, ParityReport]:
    """Export, check parity on ``images`` ((N, 3, H, W) uint8), write ``<file>.parity.json``."""
    format = check_format(format)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".{path.name}.write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise RunError(f"{path}: cannot write the exported model there ({error.strerror or error})") from None
    started = time.perf_counter()
    (export_onnx if format == "onnx" else export_torchscript)(trained, path)
    export_seconds = time.perf_counter() - started
    report = parity_check(trained, path, format, images, input_description)
    report.export_seconds = round(export_seconds, 3)
    write_parity(path, report, artifact_metadata(trained, ExportableModel(trained)))
    return path, report


def parity_path(path: Path) -> Path:
    """Where the parity report of an exported file goes: ``<file>.parity.json``."""
    return path.with_name(path.name + ".parity.json")


def write_parity(path: Path, report: ParityReport, metadata: dict[str, Any]) -> Path:
    """Write the report and the artifact's metadata as ``<file>.parity.json``."""
    target = parity_path(path)
    atomic_write_text(target, json.dumps({**report.to_dict(), "model": metadata}, indent=2) + "\n")
    return target
