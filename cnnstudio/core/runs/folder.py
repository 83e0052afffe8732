"""Run folders on disk: config, metrics log, weights, resumable state, summary.

A run folder holds::

    config.toml                 the RunConfig that trained it (RunConfig.save)
    run.json                    class names, dataset, head, input stats, splits, status
    metrics.jsonl               one JSON line per finished epoch
    weights/best.safetensors    model state_dict of the best epoch (no pickle)
    weights/last.safetensors    model state_dict after the last epoch
    state/last.pt               optimizer, counters, RNG states (weights_only-loadable)
    summary.json                final metrics, written when the run ends
    status.json                 a fixed-size copy of the final status, rewritten in place

Every file is written atomically, so a kill -9 leaves the previous version of
each file intact (``metrics.jsonl`` is appended; a torn last line is ignored).
A checkpoint (state, then weights) is one unit: see ``core/runs/checkpoint.py``.
``status.json`` is reserved when the run starts and overwritten in place, so a
run that fails because the disk is full can still say so.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.core.atomic import append_line, atomic_write_bytes, atomic_write_text
from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import CNNStudioError, RunError
from cnnstudio.core.runs.layout import (  # noqa: F401 - re-exported: the names every caller knows
    CONFIG_FILE,
    INFO_FILE,
    MAX_STATE_BYTES,
    METRICS_FILE,
    STATE_FILE,
    STATUS_FILE,
    SUMMARY_FILE,
    WEIGHTS,
    check_safetensors_size,
)
from cnnstudio.core.runs.status_slot import STATUS_SLOT_BYTES, process_alive, status_slot_bytes

if TYPE_CHECKING:  # torch is imported only when weights or state are read or written,
    import torch  # so the app can list runs and read their metrics without it

log = logging.getLogger(__name__)


def default_runs_root() -> Path:
    """``$CNNSTUDIO_RUNS_DIR``, or ``<user data dir>/cnnstudio/runs``."""
    configured = os.environ.get("CNNSTUDIO_RUNS_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("cnnstudio")) / "runs"


def new_run_dir(root: Path, label: str = "run") -> Path:
    """Create and return a new, unique run folder ``<root>/<YYYYmmdd-HHMMSS>-<label>``.

    Names sort by creation time; a clash within the same second gets ``-2``, ``-3``...
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "-", label).strip("-.") or "run"  # letters of any script: "café", not "caf-"
    base = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{slug[:60]}"
    for attempt in range(1, 1000):
        path = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RunError(f"{root}: cannot create a new run folder named {base}")


def list_runs(root: Path | None = None) -> list[RunFolder]:
    """Run folders (those with a config.toml) under ``root``, oldest first."""
    root = Path(root) if root is not None else default_runs_root()
    if not root.is_dir():
        return []
    return [RunFolder(p) for p in sorted(root.iterdir()) if (p / CONFIG_FILE).is_file()]


@dataclass(frozen=True)
class Checkpoint:
    """The saved weights a run's model loads: ``which`` ("best" or "last"), its epoch, and a note for
    people when it is not the checkpoint that was asked for ("" when it is)."""

    which: str
    epoch: int
    note: str = ""


class RunFolder:
    """Typed access to one run folder. Loaders raise RunError naming the file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def name(self) -> str:
        return self.path.name

    def file(self, relative: str) -> Path:
        return self.path / relative

    def weights_path(self, which: str = "best") -> Path:
        if which not in WEIGHTS:
            raise RunError(f"weights must be one of {', '.join(WEIGHTS)}, got {which!r}")
        return self.path / "weights" / f"{which}.safetensors"

    # ---- config and info ---------------------------------------------------
    def save_config(self, config: RunConfig) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        config.save(self.file(CONFIG_FILE))

    def load_config(self) -> RunConfig:
        path = self._existing(CONFIG_FILE)
        try:
            return RunConfig.load(path)
        except CNNStudioError as error:
            raise RunError(f"{path} is damaged ({error})") from None

    def write_info(self, info: dict[str, Any]) -> None:
        atomic_write_text(self.file(INFO_FILE), json.dumps(info, indent=2, sort_keys=True))

    def read_info(self) -> dict[str, Any]:
        return self._read_json(INFO_FILE)

    def update_info(self, **changes: Any) -> dict[str, Any]:
        info = self.read_info() if self.file(INFO_FILE).exists() else {}
        info.update(changes)
        self.write_info(info)
        return info

    @property
    def status(self) -> str:
        """running | finished | cancelled | failed | interrupted, or "unknown" without run.json.

        "interrupted": run.json says running, but the process that trained it on this
        machine is gone (killed, or the computer stopped) without recording an end.
        """
        try:
            info = self.read_info()
        except RunError:
            return "unknown"
        status = str(info.get("status", "unknown"))
        if status == "running":
            status = str(self._status_slot().get("status", status))
        if status == "running" and not process_alive(info):
            return "interrupted"
        return status

    def is_live(self) -> bool:
        """Whether another process is training this run now (so its files must not be repaired)."""
        try:
            info = self.read_info()
        except RunError:
            return False
        return (self.status == "running" and info.get("pid") != os.getpid())

    def mark_running(self, **info: Any) -> None:
        """Record that this process trains the run: run.json's status, pid and host, and the status slot."""
        atomic_write_bytes(self.file(STATUS_FILE), status_slot_bytes({"status": "running"}))
        self.update_info(status="running", pid=os.getpid(), host=socket.gethostname(), **info)

    def set_status(self, status: str, **details: Any) -> None:
        """Record how the run ended: in the status slot first (rewritten in place, so it needs no
        free disk space), then in run.json; a full disk fails only the second."""
        slot_written = False
        path = self.file(STATUS_FILE)
        if path.is_file() and path.stat().st_size == STATUS_SLOT_BYTES:
            try:
                with open(path, "r+b") as handle:
                    handle.write(status_slot_bytes({"status": status, **details}))
                    handle.flush()
                    os.fsync(handle.fileno())
                slot_written = True
            except OSError:
                pass
        try:
            self.update_info(status=status, **details)
        except OSError:
            if not slot_written:
                raise

    def _status_slot(self) -> dict[str, Any]:
        try:
            data = json.loads(self.file(STATUS_FILE).read_bytes().rstrip(b" \n") or b"{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # ---- metrics -------------------------------------------------------------
    def append_metrics(self, record: dict[str, Any]) -> None:
        append_line(self.file(METRICS_FILE), json.dumps(record, sort_keys=True))

    def read_metrics(self) -> list[dict[str, Any]]:
        """One dict per epoch; a torn or garbled line (a killed writer) is skipped."""
        path = self.file(METRICS_FILE)
        if not path.exists():
            return []
        records = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def truncate_metrics(self, last_epoch: int) -> None:
        """Keep only the epochs up to ``last_epoch`` (used when resuming)."""
        records = [r for r in self.read_metrics() if int(r.get("epoch", 0)) <= last_epoch]
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        atomic_write_text(self.file(METRICS_FILE), text)

    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write_text(self.file(SUMMARY_FILE), json.dumps(summary, indent=2, sort_keys=True))

    def read_summary(self) -> dict[str, Any]:
        return self._read_json(SUMMARY_FILE)

    # ---- weights and state -----------------------------------------------------
    def save_weights(self, which: str, state_dict: dict[str, torch.Tensor], epoch: int) -> Path:
        """Replace the ``which`` weights of a trained run (safetensors, atomically), keeping its checkpoint in step."""
        from cnnstudio.core.runs.checkpoint import replace_weights

        return replace_weights(self, which, state_dict, epoch)

    def weights_epoch(self, which: str = "best") -> int:
        """The epoch saved in the ``which`` weights' metadata (0: saved during epoch 1, or unknown).

        Read from the safetensors header alone, so it needs neither torch nor the tensors.
        """
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(self.weights_path(which)), framework="numpy") as weights:
                return int((weights.metadata() or {}).get("epoch", 0))
        except (OSError, ValueError, SafetensorError):
            return 0

    def checkpoint(self, which: str = "best") -> Checkpoint:
        """The checkpoint to load for ``which``: that one, or the other one with a note when it is missing.

        A run stopped before its first validated epoch has last weights but no
        best ones: its model is the last checkpoint, and the note says so. A run
        with neither (killed before its first checkpoint) is a RunError naming it.
        """
        if self.weights_path(which).exists():
            return Checkpoint(which, self.weights_epoch(which))
        other = "last" if which == "best" else "best"
        if self.weights_path(other).exists():
            epoch = self.weights_epoch(other)
            if which == "best":
                when = f"epoch {epoch}" if epoch else "part of epoch 1"
                note = f"This run was stopped before its first validated best; using its last checkpoint ({when})."
            else:
                note = f"This run has no last checkpoint; using its best one (epoch {epoch})."
            return Checkpoint(other, epoch, note)
        raise RunError(f"{self.path}: the run has no checkpoint yet (no weights/best.safetensors or "
                       f"weights/last.safetensors): it was stopped before it saved any; train or resume it first")

    def load_weights(self, which: str = "best") -> dict[str, torch.Tensor]:
        """The ``which`` weights, checked first: a regular file whose size matches its own header."""
        from safetensors import SafetensorError
        from safetensors.torch import load as load_safetensors_bytes

        path = self.weights_path(which)
        relative = path.relative_to(self.path).as_posix()
        if not self.is_live():  # a kill while saving can leave weights older than the committed checkpoint
            from cnnstudio.core.runs.checkpoint import reconcile

            for note in reconcile(self):
                log.warning("%s: %s", self.path, note)
        if not path.exists():
            raise RunError(f"{self.path}: {relative} is missing (the run saved no {which} weights)")
        self._check_regular(relative)
        try:
            check_safetensors_size(path)
            return load_safetensors_bytes(path.read_bytes())
        except (SafetensorError, ValueError, OSError, RuntimeError) as error:
            raise RunError(f"{self.path}: {relative} is damaged ({error})") from None

    def save_state(self, state: dict[str, Any]) -> None:
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(self.file(STATE_FILE), buffer.getvalue())

    def load_state(self) -> dict[str, Any]:
        """The resumable state, checked: a regular file, only tensors and plain values, the right structure."""
        import pickle

        import torch

        from cnnstudio.core.runs.loop_state import validate_state

        path = self._existing(STATE_FILE)
        self._check_regular(STATE_FILE)
        if path.stat().st_size > MAX_STATE_BYTES:
            raise RunError(f"{self.path}: {STATE_FILE} is damaged (it is {path.stat().st_size:,} bytes)")
        try:
            # weights_only: nothing is unpickled beyond tensors and plain containers.
            state = torch.load(io.BytesIO(path.read_bytes()), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise RunError(f"{self.path}: {STATE_FILE} is damaged or not a CNN Studio state file: it holds "
                           f"objects other than tensors and plain values, which are never loaded") from None
        except Exception as error:  # noqa: BLE001 - any unpickling failure means damage
            first_line = (str(error).strip().splitlines() or [""])[0][:160]
            raise RunError(f"{self.path}: {STATE_FILE} is damaged ({type(error).__name__}: {first_line})") from None
        return validate_state(state, f"{self.path}: {STATE_FILE}")

    # ---- helpers ---------------------------------------------------------------
    def _check_regular(self, relative: str) -> None:
        """Refuse a device, FIFO or folder where a file should be (a symlink to /dev/zero reads forever)."""
        if not self.file(relative).is_file():
            raise RunError(f"{self.path}: {relative} is not a regular file")

    def _existing(self, relative: str) -> Path:
        path = self.file(relative)
        if not path.is_file():
            raise RunError(f"{self.path}: {relative} is missing (is this a CNN Studio run folder?)")
        return path

    def _read_json(self, relative: str) -> dict[str, Any]:
        path = self._existing(relative)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
            raise RunError(f"{self.path}: {relative} is damaged ({error})") from None
        if not isinstance(data, dict):
            raise RunError(f"{self.path}: {relative} is damaged (expected a JSON object)")
        return data


def now_iso() -> str:
    """The local time as an ISO 8601 string, for run.json."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


