"""Suite-wide fixtures: keep every test away from the user's real folders.

Runs, caches and plugin folders go to a per-test temporary directory so the
suite never reads or writes the person's own workspace.
"""

from __future__ import annotations

import gc
import os
import sys
import threading

import pytest

from cnnstudio.gui.workers.gui_thread_gc import collect_due_garbage

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


@pytest.fixture(autouse=True, scope="session")
def garbage_collected_on_the_main_thread():
    """Python collects cycles only where the tests say, on the main thread, as the app does
    (cnnstudio/gui/workers/gui_thread_gc.py): a Qt object collected on a worker crashes Qt."""
    threshold = gc.get_threshold()
    gc.disable()
    yield threshold
    gc.enable()


@pytest.fixture(autouse=True)
def no_dangling_threads(garbage_collected_on_the_main_thread):
    """Fail a test that leaves a non-daemon thread running.

    The app's own workers are daemons, but they are waited for too: one still
    running torch in the next test can crash the process when that test
    changes torch's thread count. Then garbage is collected here, on the main thread.
    """
    before = set(threading.enumerate())
    yield
    background = sys.modules.get("cnnstudio.gui.workers.background")
    if background is not None:
        finished = background.wait_for_background(timeout=120)
        assert finished, f"test left app workers running: {background.running_workers()}"
    collect_due_garbage(garbage_collected_on_the_main_thread)
    leftover = [
        thread for thread in threading.enumerate()
        if thread not in before and thread.is_alive() and not thread.daemon
    ]
    for thread in leftover:
        thread.join(timeout=5)
    still = [thread.name for thread in leftover if thread.is_alive()]
    assert not still, f"test left threads running: {still}"
