"""Undo and redo of labels: each step comes back exactly (masks and class renames too), and the saved flag follows."""

from __future__ import annotations

import numpy as np
from labels_helpers import box_label

from cnnstudio.core.labels.history import MAX_STEPS, LabelHistory
from cnnstudio.core.labels.label_set import UNLABELLED, ImageLabel, LabelClass, LabelSet


def cats_and_dogs(tmp_path) -> LabelSet:
    labels = LabelSet.empty(tmp_path, "classes", ["cat", "dog"], ["a.jpg", "b.jpg", "c.jpg"])
    labels.set(ImageLabel(status="labelled", class_name="cat"), "a.jpg")
    return labels


def state(labels: LabelSet):
    return list(labels.classes), {key: label for key, label in labels.labels.items()}


def test_a_step_over_several_images_undoes_and_redoes_as_one(tmp_path):
    labels = cats_and_dogs(tmp_path)
    history = LabelHistory(labels)
    start = state(labels)
    assert history.apply("Label 2 images dog", {"a.jpg": ImageLabel(status="labelled", class_name="dog"),
                                                "b.jpg": ImageLabel(status="labelled", class_name="dog")})
    after = state(labels)
    assert labels.get("a.jpg").class_name == labels.get("b.jpg").class_name == "dog"
    assert history.undo_text() == "Label 2 images dog"

    step = history.undo()
    assert set(step.before) == {"a.jpg", "b.jpg"} and state(labels) == start
    assert "b.jpg" not in labels.labels  # back to unlabelled: no entry
    assert history.redo_text() == "Label 2 images dog" and not history.can_undo
    history.redo()
    assert state(labels) == after
    assert history.undo() is not None and history.undo() is None  # nothing more to undo
    assert history.redo() is not None and history.redo() is None


def test_a_change_that_changes_nothing_is_no_step(tmp_path):
    labels = cats_and_dogs(tmp_path)
    history = LabelHistory(labels)
    assert not history.apply("Same", {"a.jpg": ImageLabel(status="labelled", class_name="cat"), "c.jpg": UNLABELLED})
    assert not history.can_undo and not history.unsaved


def test_masks_and_boxes_come_back_pixel_for_pixel(tmp_path):
    labels = LabelSet.empty(tmp_path, "masks", ["scratch"], ["p.png"])
    first = np.zeros((6, 8), np.uint8)
    first[1:3, 2:5] = 1
    history = LabelHistory(labels)
    history.apply("Paint", {"p.png": ImageLabel(status="labelled", class_name="scratch", mask=first)})
    second = first.copy()
    second[4:6, 0:8] = 1
    history.apply("Paint more", {"p.png": ImageLabel(status="labelled", class_name="scratch", mask=second)})
    history.undo()
    assert np.array_equal(labels.get("p.png").mask, first)
    history.undo()
    assert labels.get("p.png") is UNLABELLED or labels.get("p.png").same_as(UNLABELLED)
    history.redo()
    history.redo()
    assert np.array_equal(labels.get("p.png").mask, second)

    boxes = LabelSet.empty(tmp_path, "boxes", ["logo"], ["a.jpg"])
    box_history = LabelHistory(boxes)
    box_history.apply("Box", {"a.jpg": box_label((1, 2, 3, 4, "logo"))})
    box_history.apply("Move box", {"a.jpg": box_label((5, 6, 7, 8, "logo"))})
    box_history.undo()
    assert boxes.get("a.jpg").boxes == box_label((1, 2, 3, 4, "logo")).boxes


def test_renaming_a_class_undoes_the_class_list_and_every_label_using_it(tmp_path):
    labels = LabelSet.empty(tmp_path, "boxes", ["logo", "can"], ["a.jpg", "b.jpg"])
    labels.set(box_label((0, 0, 4, 4, "logo"), (1, 1, 2, 2, "can")), "a.jpg")
    labels.set(box_label((0, 0, 9, 9, "logo")), "b.jpg")
    history = LabelHistory(labels)
    start = state(labels)

    history.apply_classes("Rename logo", lambda made: made.rename_class("logo", "brand"))
    renamed = state(labels)
    assert labels.class_names == ["brand", "can"]
    assert [b.class_name for b in labels.get("a.jpg").boxes] == ["brand", "can"]
    assert labels.get("b.jpg").boxes[0].class_name == "brand"

    history.undo()
    assert state(labels) == start and labels.colour_of("logo") == renamed[0][0].colour
    history.redo()
    assert state(labels) == renamed

    history.apply_classes("Add class", lambda made: made.add_class("bottle"))
    history.undo()
    assert labels.class_names == ["brand", "can"]
    history.redo()
    assert labels.classes[-1] == LabelClass("bottle", labels.colour_of("bottle"))


def test_the_saved_flag_follows_undo_redo_and_is_lost_when_the_saved_state_is_overwritten(tmp_path):
    labels = cats_and_dogs(tmp_path)
    history = LabelHistory(labels)
    assert not history.unsaved
    history.apply("dog", {"b.jpg": ImageLabel(status="labelled", class_name="dog")})
    assert history.unsaved
    history.mark_saved()
    assert not history.unsaved
    history.undo()
    assert history.unsaved
    history.redo()
    assert not history.unsaved  # back at exactly what was saved

    history.undo()
    history.apply("cat", {"c.jpg": ImageLabel(status="labelled", class_name="cat")})  # the saved state is gone
    assert not history.can_redo
    history.undo()
    assert history.unsaved  # not what was saved, although as many steps are done


def test_only_the_last_max_steps_are_kept(tmp_path):
    labels = LabelSet.empty(tmp_path, "classes", ["a", "b"], ["x.jpg"])
    history = LabelHistory(labels)
    for number in range(MAX_STEPS + 3):
        history.apply(f"step {number}", {"x.jpg": ImageLabel(status="labelled", class_name="ab"[number % 2])})
    undone = 0
    while history.undo() is not None:
        undone += 1
    assert undone == MAX_STEPS
    assert labels.get("x.jpg").class_name == "a"  # after step 2 (steps 3.. are kept): the oldest kept "before"
