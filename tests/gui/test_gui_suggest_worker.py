"""The Label tab's suggestion worker: results on the GUI thread, readable errors, cancel and newer requests."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cnnstudio.core.labels.label_set import LabelSet
from cnnstudio.gui.workers.background import wait_for_background
from cnnstudio.gui.workers.run_model_cache import RunModelCache
from cnnstudio.gui.workers.suggest_worker import SuggestWorker
from tests.labels.suggest_helpers import train_colour_run, write_colour_images


@pytest.fixture(scope="module")
def colour_run(tmp_path_factory) -> Path:
    return train_colour_run(tmp_path_factory.mktemp("suggest_worker_run"))


@pytest.fixture
def worker(controller) -> SuggestWorker:
    return SuggestWorker(RunModelCache(controller))


@pytest.fixture
def colour_labels(tmp_path) -> tuple[LabelSet, dict[str, str]]:
    truth = write_colour_images(tmp_path / "photos", 3, size=(24, 24), seed=11)
    return LabelSet.empty(tmp_path / "photos", "classes", ["blue", "red"], list(truth)), truth


def test_suggestions_arrive_on_the_gui_thread_with_progress(qtbot, worker, colour_run, colour_labels) -> None:
    labels, truth = colour_labels
    threads, progress = [], []
    worker.finished.connect(lambda *_: threads.append(threading.current_thread()))
    worker.progress.connect(lambda done, total: progress.append((done, total)))

    with qtbot.waitSignal(worker.finished, timeout=60_000) as answer:
        worker.request(str(colour_run), labels, labels.unlabelled())

    run_dir, suggestions, error = answer.args
    assert run_dir == str(colour_run) and error == ""
    assert {image: label.class_name for image, label in suggestions.items()} == truth
    assert all(label.suggested for label in suggestions.values())
    assert threads == [threading.main_thread()]
    assert progress[-1] == (len(truth), len(truth))
    assert not worker.is_running()


def test_a_folder_that_is_no_run_is_reported_in_words(qtbot, worker, colour_labels, tmp_path) -> None:
    labels, _ = colour_labels
    (tmp_path / "not-a-run").mkdir()

    with qtbot.waitSignal(worker.finished, timeout=60_000) as answer:
        worker.request(str(tmp_path / "not-a-run"), labels, labels.images)

    _, suggestions, error = answer.args
    assert suggestions == {}
    assert "not-a-run" in error and "run.json" in error


def test_a_run_for_another_kind_is_reported_in_words(qtbot, worker, colour_run, tmp_path) -> None:
    boxes = LabelSet.empty(tmp_path, "boxes", ["logo"], [])

    with qtbot.waitSignal(worker.finished, timeout=60_000) as answer:
        worker.request(str(colour_run), boxes, [])

    assert colour_run.name in answer.args[2] and "box labels" in answer.args[2]


def test_cancel_stops_and_a_newer_request_answers_alone(qtbot, worker, colour_run, colour_labels, monkeypatch) -> None:
    labels, truth = colour_labels
    gate = threading.Event()
    load = worker.models.get

    def slow_load(*args):
        gate.wait(30)  # the model loads only once the test has cancelled or asked again
        return load(*args)

    monkeypatch.setattr(worker.models, "get", slow_load)
    answers = []
    worker.finished.connect(lambda *args: answers.append(args))

    worker.request(str(colour_run), labels, labels.images)
    worker.cancel()
    gate.set()
    qtbot.waitUntil(lambda: len(answers) == 1, timeout=60_000)
    assert answers[0][1:] == ({}, "")  # cancelled before its first image: nothing made, nothing wrong

    gate.clear()
    worker.request(str(colour_run), labels, labels.images[:1])
    worker.request(str(colour_run), labels, labels.images[1:])
    gate.set()
    assert wait_for_background(timeout=60)
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=60_000)
    qtbot.wait(50)  # an answer of the older request would have arrived by now
    assert len(answers) == 2 and set(answers[1][1]) == set(list(truth)[1:])
