"""Export a trained run to TorchScript or ONNX, check parity, write the report beside the file.

    path, report = export_model(trained, "onnx", Path("model.onnx"), images, "400 validation images")

The artifact is an ``ExportableModel`` (core/export_model.py): it takes raw
(N, H, W, 3) uint8 RGB images of any size and applies the resize,
normalisation and decision threshold itself. Every export is followed by a
parity check (core/export_parity.py); its report is written to
``<file>.parity.json`` together with what the outputs mean (class names,
input size, threshold, output names). A failed check still leaves both files.

Nothing is written straight onto the target. The model is serialised in
memory, written to a hidden temporary file beside the target
(``.<name>.export-<pid>-XXXX.tmp``) and fsynced, the parity check runs on that
file, the report (with the file's sha256 and size) is staged the same way, and
only then are both renamed over the old ones. Any failure (disk full, file
size limit, read-only folder, a crash in the check) removes the temporaries
and leaves the previous file and its report as they were; a killed export's
temporaries are removed by the next export into the same folder. ONNX is
always one self-contained file: a model too large for that (2 GB protobuf
limit, where torch would spill weights into external data files) is refused.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.atomic import _UMASK, _fsync_directory, atomic_write_text
from cnnstudio.core.errors import ConfigError, ExportError
from cnnstudio.core.evaluate.prediction import TrainedModel
from cnnstudio.core.export.exported_model import ExportableModel
from cnnstudio.core.export.parity import PARITY_SUFFIX, ParityReport, file_digest, parity_check

FORMATS: dict[str, str] = {"onnx": "onnx", "torchscript": "pt"}
# Extra file inside a TorchScript archive with what the outputs mean.
TORCHSCRIPT_METADATA = "cnnstudio.json"
# protobuf cannot serialise a message of 2 GB or more; torch would then write external data files.
ONNX_SINGLE_FILE_LIMIT = 2**31 - 1
# Temporary files of an export: hidden, beside the target, with the writer's process id.
TEMPORARY_MARK = ".export-"
_TEMPORARY = re.compile(r"^\..+\.export-(\d+)-[^/]*\.tmp$")


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


def torchscript_bytes(trained: TrainedModel) -> bytes:
    """``trained`` as a TorchScript archive (bytes) taking raw uint8 images of any size.

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
    buffer = io.BytesIO()
    with _quiet():
        torch.jit.save(scripted, buffer, _extra_files=extra)
    return buffer.getvalue()


def onnx_bytes(trained: TrainedModel) -> bytes:
    """``trained`` as one self-contained ONNX file (bytes; the installed torch's default opset), dynamic batch, height and width.

    Uses the dynamo exporter (the legacy one cannot export an antialiased
    resize), in memory: torch writes no file, so no external data file can
    appear beside the target. A model over protobuf's 2 GB limit is refused.
    """
    wrapper = ExportableModel(trained).eval()
    batch, height, width = (torch.export.Dim(name, min=lowest) for name, lowest in (("batch", 1), ("height", 2), ("width", 2)))
    example = torch.zeros(2, wrapper.size + 7, wrapper.size + 3, 3, dtype=torch.uint8)
    with _quiet(), torch.no_grad():
        program = torch.onnx.export(
            wrapper, (example,), None, dynamo=True, input_names=["images"], output_names=wrapper.output_names,
            dynamic_shapes={"images": {0: batch, 1: height, 2: width}}, verbose=False, external_data=False,
        )
        if program is None:  # only the legacy exporter (dynamo=False) returns None
            raise ExportError("torch.onnx.export gave no ONNX program: this torch's dynamo exporter did not run")
        model = program.model_proto
    for key, value in artifact_metadata(trained, wrapper).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    size = model.ByteSize()
    too_large = (f"the model is too large for one ONNX file ({size / 2**30:.1f} GB, the limit is 2 GB); "
                 "export it as --format torchscript")
    if size > ONNX_SINGLE_FILE_LIMIT:
        raise ExportError(too_large)
    try:
        return model.SerializeToString()
    except ValueError:  # protobuf's own size check
        raise ExportError(too_large) from None


def export_torchscript(trained: TrainedModel, path: Path) -> Path:
    """Write ``trained`` as a TorchScript archive at ``path`` (atomically; no parity check)."""
    return _write_atomically(Path(path), torchscript_bytes(trained))


def export_onnx(trained: TrainedModel, path: Path) -> Path:
    """Write ``trained`` as ONNX at ``path`` (atomically; no parity check)."""
    return _write_atomically(Path(path), onnx_bytes(trained))


def export_model(
    trained: TrainedModel, format: str, path: Path, images: torch.Tensor, input_description: str
) -> tuple[Path, ParityReport]:
    """Export, check parity on ``images`` ((N, 3, H, W) uint8), write ``<file>.parity.json``.

    Both files replace the old ones only once the new file is completely
    written and checked (a failed check still replaces them: the report says
    FAILED). A file-system error is raised as an ``OSError`` whose filename is
    the target (not the temporary file); the old files are then untouched.
    """
    format = check_format(format)
    path = Path(path)
    _make_folder(path)
    remove_leftover_temporaries(path.parent)
    started = time.perf_counter()
    data = (onnx_bytes if format == "onnx" else torchscript_bytes)(trained)
    export_seconds = time.perf_counter() - started
    report_path = parity_path(path)
    staged: list[Path] = []
    try:
        model_temporary = _stage(path, data)
        staged.append(model_temporary)
        report = parity_check(trained, model_temporary, format, images, input_description)
        report.file = str(path)
        report.export_seconds = round(export_seconds, 3)
        report.sha256, report.size = file_digest(model_temporary)
        text = json.dumps({**report.to_dict(), "model": artifact_metadata(trained, ExportableModel(trained))}, indent=2) + "\n"
        staged.append(_stage(report_path, text.encode("utf-8")))
        # Renames do not need space; a crash between the two leaves a report whose hash says "stale".
        _replace(model_temporary, path)
        _replace(staged[1], report_path)
        staged.clear()
    finally:
        for temporary in staged:
            temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return path, report


def remove_leftover_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files of exports into ``folder`` whose process is gone; returns them."""
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if not match or _process_alive(int(match.group(1))):
            continue
        try:
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
                removed.append(entry)
        except OSError:
            pass  # another export removed it, or the folder is read-only: the export itself will say so
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False  # no process has that id: the name was not written by an export
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:
        return True  # PermissionError: another user's live process; anything else: leave its file alone
    return True


def _stage(target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` and fsync it; an OSError names ``target``."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}{TEMPORARY_MARK}{os.getpid()}-", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OSError(error.errno, error.strerror or str(error), str(target)) from error
    temporary = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes it private; give it the mode a plain open() would
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror or str(error), str(target)) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _replace(temporary: Path, target: Path) -> None:
    try:
        os.replace(temporary, target)
    except OSError as error:
        raise OSError(error.errno, error.strerror or str(error), str(target)) from error


def _make_folder(path: Path) -> None:
    """Create ``path``'s folder; an OSError names ``path`` (and a file standing where a folder must be)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        cause = error.strerror or str(error)
        if isinstance(error, (FileExistsError, NotADirectoryError)):
            blocker = next((p for p in (path.parent, *path.parent.parents) if p.exists() and not p.is_dir()), None)
            cause = f"{blocker} is a file, not a folder" if blocker else cause
        raise OSError(error.errno, cause, str(path)) from error


def _write_atomically(path: Path, data: bytes) -> Path:
    _make_folder(path)
    temporary = _stage(path, data)
    try:
        _replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return path


def parity_path(path: Path) -> Path:
    """Where the parity report of an exported file goes: ``<file>.parity.json``."""
    return path.with_name(path.name + PARITY_SUFFIX)


def write_parity(path: Path, report: ParityReport, metadata: dict[str, Any]) -> Path:
    """Write the report and the artifact's metadata as ``<file>.parity.json``."""
    target = parity_path(path)
    atomic_write_text(target, json.dumps({**report.to_dict(), "model": metadata}, indent=2) + "\n")
    return target
