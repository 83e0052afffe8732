"""A run's status beyond run.json: the fixed-size status slot, and whether its training process still runs."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

STATUS_SLOT_BYTES = 512


def status_slot_bytes(data: dict[str, Any]) -> bytes:
    """``data`` as JSON padded with spaces to the slot's fixed size (long details are shortened)."""
    text = json.dumps(data, sort_keys=True)
    if len(text.encode()) >= STATUS_SLOT_BYTES:
        text = json.dumps({"status": data.get("status", "unknown"), "error": str(data.get("error", ""))[:300]})
    raw = text.encode()[: STATUS_SLOT_BYTES - 1]
    return raw + b" " * (STATUS_SLOT_BYTES - 1 - len(raw)) + b"\n"


def process_alive(info: dict[str, Any]) -> bool:
    """Whether the process recorded in run.json still runs (True when it cannot be told: another host, no pid)."""
    pid, host = info.get("pid"), info.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
