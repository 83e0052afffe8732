"""BackgroundCache, under the evaluation, model and Grad-CAM loaders: one load per key, reloads when the run's files change, errors as messages.

The load is a stand-in that counts its calls and, where a test needs it,
waits for an event, so "asked again while loading" is certain, not a race.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cnnstudio.core.errors import DatasetError
from cnnstudio.gui.workers.background import in_background
from cnnstudio.gui.workers.background_cache import BackgroundCache, weights_stamp


class Harness:
    """A BackgroundCache over a counting load, with stamps the test sets and answers it records."""

    def __init__(self, max_entries: int | None = None) -> None:
        self.loads: list[tuple[str, ...]] = []
        self.answers: list[tuple[tuple[str, ...], object, str]] = []
        self.stamps: dict[str, int] = {}
        self.release = threading.Event()
        self.release.set()
        self.error: Exception | None = None
        self.cache: BackgroundCache[dict] = BackgroundCache(
            self.load, lambda key: self.stamps.get(key[0], 0), lambda *answer: self.answers.append(answer),
            thread_name="cnnstudio-test-cache", failure="the thing could not be made", max_entries=max_entries,
            uses_torch=False)

    def load(self, key: tuple[str, ...], extra: str) -> dict:
        self.loads.append(key)
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return {"key": key, "extra": extra, "load": len(self.loads)}


def test_a_miss_loads_once_even_when_asked_again_while_loading(qtbot) -> None:
    harness = Harness()
    harness.release.clear()
    harness.cache.request(("run", "val"), "x")
    harness.cache.request(("run", "val"), "x")  # the first load is still waiting
    harness.release.set()
    qtbot.waitUntil(lambda: len(harness.answers) == 1)
    harness.cache.request(("run", "val"), "x")  # now from the cache, on the GUI thread
    qtbot.waitUntil(lambda: len(harness.answers) == 2)
    assert harness.loads == [("run", "val")]
    (key, first, error), (_, second, _) = harness.answers
    assert key == ("run", "val") and error == "" and first is second
    assert harness.cache.get(("run", "val"), "x") is first


def test_get_from_two_threads_at_once_loads_once(qtbot) -> None:
    harness = Harness()
    harness.release.clear()
    got: list[dict] = []
    for _ in range(2):
        in_background("cnnstudio-test-get", lambda: got.append(harness.cache.get(("run", "best"), "x")))
    qtbot.waitUntil(lambda: len(harness.loads) == 1)
    harness.release.set()
    qtbot.waitUntil(lambda: len(got) == 2)
    assert harness.loads == [("run", "best")] and got[0] is got[1]


def test_changed_files_or_forget_mean_a_new_load(qtbot) -> None:
    harness = Harness()
    first = harness.cache.get(("run", "val"), "x")
    harness.cache.get(("other", "val"), "x")
    harness.stamps["run"] = 1  # the run's weights were written again
    assert harness.cache.cached(("run", "val")) is None
    assert harness.cache.cached(("other", "val")) is not None
    harness.cache.request(("run", "val"), "x")
    qtbot.waitUntil(lambda: len(harness.answers) == 1)
    assert harness.answers[0][1] is not first and harness.answers[0][1]["load"] == 3
    harness.cache.forget("run")
    assert harness.cache.cached(("run", "val")) is None
    assert harness.cache.cached(("other", "val")) is not None
    harness.cache.get(("run", "val"), "x")
    assert harness.loads == [("run", "val"), ("other", "val"), ("run", "val"), ("run", "val")]


def test_only_the_newest_values_are_kept() -> None:
    harness = Harness(max_entries=2)
    for run in ("a", "b", "c"):
        harness.cache.get((run, "val"), "x")
    assert [run for run in "abc" if harness.cache.cached((run, "val")) is not None] == ["b", "c"]


@pytest.mark.parametrize("error, expected", [
    (DatasetError("dataset 'x': folder not found"), "dataset 'x': folder not found"),  # the program's own words
    (ValueError("weights have the wrong shape"),
     "run: the thing could not be made (ValueError: weights have the wrong shape)"),  # a bug, named
])
def test_an_error_reaches_the_caller_as_a_message(qtbot, error, expected) -> None:
    harness = Harness()
    harness.error = error
    harness.cache.request(("run", "val"), "x")
    qtbot.waitUntil(lambda: len(harness.answers) == 1)
    assert harness.answers[0] == (("run", "val"), None, expected)
    harness.error = None
    harness.cache.request(("run", "val"), "x")  # a failed load is not cached, nor left "loading"
    qtbot.waitUntil(lambda: len(harness.answers) == 2)
    assert harness.answers[1][1]["load"] == 2 and harness.answers[1][2] == ""


def test_on_start_is_called_once_per_load(qtbot) -> None:
    started: list[tuple[str, ...]] = []
    answers: list[object] = []
    cache: BackgroundCache[str] = BackgroundCache(
        lambda key: "value", lambda key: 0, lambda *answer: answers.append(answer),
        thread_name="cnnstudio-test-cache", failure="failed", on_start=started.append, uses_torch=False)
    cache.request(("run", "test"))
    qtbot.waitUntil(lambda: len(answers) == 1)
    cache.request(("run", "test"))
    qtbot.waitUntil(lambda: len(answers) == 2)
    assert started == [("run", "test")]


def test_the_weights_stamp_changes_with_either_checkpoint(tmp_path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    assert weights_stamp(str(tmp_path), "best") == (-1.0, -1.0)
    (weights / "last.safetensors").write_bytes(b"last")
    before = weights_stamp(str(tmp_path), "best")
    assert before[0] == -1.0 and before[1] > 0  # no best yet: the last one is used, and watched
    (weights / "best.safetensors").write_bytes(b"best")
    later = (weights / "last.safetensors").stat().st_mtime + 5
    os.utime(weights / "last.safetensors", (later, later))
    best, last = weights_stamp(str(tmp_path), "best")
    assert best > 0 and last == later and weights_stamp(str(tmp_path), "last") == (last, best)
    assert weights_stamp(str(Path(tmp_path) / "missing"), "last") == (-1.0, -1.0)
