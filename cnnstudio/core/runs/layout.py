"""The names of a run folder's files, and the size check of its weight files.

Shared by the run folder (``folder.py``) and its checkpoints (``checkpoint.py``)
so that neither has to import the other at load time.
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG_FILE = "config.toml"
INFO_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
STATE_FILE = "state/last.pt"
STATUS_FILE = "status.json"
WEIGHTS = ("best", "last")
MAX_STATE_BYTES = 8 << 30  # a state file larger than this is not one CNN Studio wrote


def check_safetensors_size(path: Path) -> None:
    """Raise ValueError unless the file's size is exactly what its safetensors header describes."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise ValueError("too short to be a safetensors file")
        header_length = int.from_bytes(prefix, "little")
        if header_length > min(size - 8, 100 << 20):
            raise ValueError(f"its header claims {header_length:,} bytes but the file has {size:,}")
        try:
            header = json.loads(handle.read(header_length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("its header is not JSON") from None
    ends = [entry["data_offsets"][1] for key, entry in header.items()
            if key != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets", ())) == 2]
    expected = 8 + header_length + max(ends, default=0)
    if size != expected:
        raise ValueError(f"it is {size:,} bytes but its header describes {expected:,}")
