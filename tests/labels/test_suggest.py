"""Suggested labels from a trained run: the right class on clear images, scores, order, and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from tiny_runs import train_tiny_run

from cnnstudio.app.runner import load_run_model
from cnnstudio.core.labels.label_set import Box, ImageLabel, LabelSet
from cnnstudio.core.labels.suggest import (
    closeness,
    margin_uncertainty,
    order_by_uncertainty,
    run_matches_labels,
    suggest_labels,
)
from tests.labels.suggest_helpers import train_colour_run, write_colour_images


@pytest.fixture(scope="module")
def colour_run(tmp_path_factory):
    return train_colour_run(tmp_path_factory.mktemp("colour_run"))


@pytest.fixture
def colour_folder(tmp_path):
    """New red and blue images (not square, another size than training) and one broken file."""
    truth = write_colour_images(tmp_path / "new", 4, size=(20, 30), seed=7)
    (tmp_path / "new" / "broken.png").write_bytes(b"not an image")
    return tmp_path / "new", truth


def test_a_colour_run_names_the_colour_of_each_unlabelled_image(colour_run, colour_folder) -> None:
    folder, truth = colour_folder
    labels = LabelSet.empty(folder, "classes", ["red"], [*truth, "broken.png"])  # blue is not a class yet
    labels.set(ImageLabel(status="labelled", class_name="red"), "red/0.png")
    model = load_run_model(colour_run)

    suggestions = suggest_labels(model, labels, labels.unlabelled())

    assert set(suggestions) == set(truth) - {"red/0.png"}  # the broken file gets none, the labelled one is not asked
    for image, label in suggestions.items():
        assert label.class_name == truth[image]
        assert label.status == "labelled" and label.suggested and not label.counts
        assert 0.0 <= label.score <= 1.0
    entries = {entry["file"]: entry for entry in model.predict_files([folder / image for image in suggestions])}
    for image, label in suggestions.items():
        top, second = sorted(entries[str(folder / image)]["probabilities"].values(), reverse=True)[:2]
        assert label.score == pytest.approx(1 - (top - second))


def test_suggestions_are_ordered_most_uncertain_first(colour_run, colour_folder) -> None:
    folder, truth = colour_folder
    labels = LabelSet.empty(folder, "classes", ["blue", "red"], list(truth))
    suggestions = suggest_labels(load_run_model(colour_run), labels, list(truth))

    order = order_by_uncertainty(suggestions)

    assert sorted(order) == sorted(truth)
    scores = [suggestions[image].score for image in order]
    assert scores == sorted(scores, reverse=True)
    made = {name: ImageLabel(status="labelled", class_name="red", suggested=True, score=score)
            for name, score in (("sure", 0.1), ("torn", 0.95), ("middle", 0.5), ("also middle", 0.5))}
    assert order_by_uncertainty(made) == ["torn", "middle", "also middle", "sure"]


def test_progress_is_reported_and_stopping_keeps_what_was_made(colour_run, colour_folder) -> None:
    folder, truth = colour_folder
    labels = LabelSet.empty(folder, "classes", [], list(truth))
    model = load_run_model(colour_run)
    seen: list[tuple[int, int]] = []
    done_so_far: list[int] = []

    suggest_labels(model, labels, list(truth), progress=lambda done, total: seen.append((done, total)))
    stopped = suggest_labels(model, labels, list(truth), progress=lambda done, total: done_so_far.append(done),
                             should_stop=lambda: done_so_far[-1] >= 3)

    assert seen == [(done, len(truth)) for done in range(len(truth) + 1)]
    assert list(stopped) == list(truth)[:3]  # stopped after its third image, with those three suggested


def test_a_run_for_another_task_is_refused_with_the_run_and_the_kind(colour_run, tmp_path) -> None:
    boxes = LabelSet.empty(tmp_path, "boxes", ["logo"], [])
    classes = LabelSet.empty(tmp_path, "classes", ["red"], [])

    with pytest.raises(ValueError, match=f"{colour_run.name}.*sorting images into classes.*box labels"):
        suggest_labels(load_run_model(colour_run), boxes, [])
    assert run_matches_labels(colour_run, classes) is None
    reason = run_matches_labels(colour_run, boxes)
    assert reason is not None and colour_run.name in reason and "box labels" in reason
    assert "run.json" in (run_matches_labels(tmp_path / "not-a-run", classes) or "")


def test_uncertainty_rules() -> None:
    assert margin_uncertainty([0.5, 0.5]) == 1.0
    assert margin_uncertainty([0.9, 0.05, 0.05]) == pytest.approx(0.15)
    assert closeness(0.5) == 1.0 and closeness(0.0) == 0.0 and closeness(1.0) == 0.0
    assert closeness(0.75) == pytest.approx(1 - abs(2 * 0.75 - 1))
    assert closeness(0.2, threshold=0.2) == 1.0 and closeness(0.6, threshold=0.2) == pytest.approx(0.5)


def write_noise_images(folder, count: int = 3) -> list[str]:
    """Wide noise pictures (24 x 40 px): not the size the runs were trained at."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for number in range(count):
        Image.fromarray(rng.integers(0, 255, (24, 40, 3), dtype=np.uint8)).save(folder / f"{number}.png")
    return [f"{number}.png" for number in range(count)]


def write_dataset_images(model, folder, count: int = 4, size: tuple[int, int] = (64, 96)) -> list[str]:
    """The first ``count`` images of the run's own dataset, enlarged to ``size`` (height, width), as PNG files."""
    from cnnstudio.app.runner import prepare

    folder.mkdir(parents=True, exist_ok=True)
    _, imageset, _ = prepare(model.config)
    for number in range(count):
        picture = Image.fromarray(imageset.images[number].permute(1, 2, 0).numpy())
        picture.resize((size[1], size[0])).save(folder / f"{number}.png")
    return [f"{number}.png" for number in range(count)]


@pytest.mark.parametrize("head", ["boxes", "box"])
def test_a_box_run_suggests_its_boxes_in_the_images_own_pixels(head, tmp_path_factory, tmp_path) -> None:
    run = train_tiny_run(tmp_path_factory.mktemp(f"{head}_run"), "marketing.logos", seed=1, count=160, size=32,
                         epochs=3, cli_args=("--head", head))
    model = load_run_model(run)
    images = write_dataset_images(model, tmp_path / "shelves", count=6)
    labels = LabelSet.empty(tmp_path / "shelves", "boxes", ["logo"], images)
    model.model.head.set_threshold(0.01)  # a barely trained model: a low threshold keeps its boxes

    suggestions = suggest_labels(model, labels, images)

    entries = model.predict_files([tmp_path / "shelves" / image for image in images])
    for image, entry in zip(images, entries):
        found = entry.get("boxes", [{"box": entry["box"], "score": entry["score"], "class": entry["class"]}])
        label = suggestions[image]
        assert label.boxes == tuple(Box(*box["box"], box["class"]) for box in found if box["score"] >= 0.01)
        assert all(0 <= box.x0 <= box.x1 <= 96 and 0 <= box.y0 <= box.y1 <= 64
                                   and box.class_name == "logo" for box in label.boxes)
        assert label.suggested and 0.0 <= label.score <= 1.0
    assert sum(len(label.boxes) for label in suggestions.values()) >= 2
    model.model.head.set_threshold(0.99)
    assert all(not label.boxes for label in suggest_labels(model, labels, images).values())


def test_a_defect_run_suggests_good_or_a_mask_the_size_of_the_image(tmp_path_factory, tmp_path) -> None:
    run = train_tiny_run(tmp_path_factory.mktemp("defect_run"), "manufacturing.surfaces", seed=1, count=60, size=32)
    images = write_noise_images(tmp_path / "parts")
    labels = LabelSet.empty(tmp_path / "parts", "masks", ["scratch"], images)
    model = load_run_model(run)

    model.model.head.set_threshold(0.001)
    defects = suggest_labels(model, labels, images)
    model.model.head.set_threshold(0.999)
    good = suggest_labels(model, labels, images)

    for image in images:
        label = defects[image]
        assert label.class_name == "scratch"  # the run's one defect class is the label set's one
        assert label.mask is not None and label.mask.shape == (24, 40) and label.mask.dtype == np.uint8
        assert set(np.unique(label.mask)) <= {0, 1} and label.mask.any()
        assert good[image].class_name == "good" and good[image].mask is None
        assert 0.0 <= label.score <= 1.0 and 0.0 <= good[image].score <= 1.0
    with pytest.raises(ValueError, match="finding defects.*class labels"):
        suggest_labels(model, LabelSet.empty(tmp_path / "parts", "classes", [], images), images)
