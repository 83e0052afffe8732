"""Suite-wide fixtures: keep every test away from the user's real folders.

Runs, caches and plugin folders go to a per-test temporary directory so the
suite never reads or writes the person's own workspace.
"""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("CNNSTUDIO_RUNS_DIR", str(base / "runs"))
    monkeypatch.setenv("CNNSTUDIO_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.delenv("CNNSTUDIO_PLUGIN_PATH", raising=False)
    monkeypatch.delenv("CNNSTUDIO_DISABLE_PLUGINS", raising=False)
    yield base


@pytest.fixture(autouse=True)
def no_dangling_threads():
    """Fail a test that leaves a non-daemon thread running (STYLE.md, anti-pattern 3)."""
    before = set(threading.enumerate())
    yield
    leftover = [
        thread for thread in threading.enumerate()
        if thread not in before and thread.is_alive() and not thread.daemon
    ]
    for thread in leftover:
        thread.join(timeout=5)
    still = [thread.name for thread in leftover if thread.is_alive()]
    assert not still, f"test left threads running: {still}"
