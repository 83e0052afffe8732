"""The label file: every kind round-trips through a real file, masks exactly; broken files are named with the field."""

from __future__ import annotations

import json

import numpy as np
import pytest
from labels_helpers import box_label

from cnnstudio.core.errors import DatasetError
from cnnstudio.core.labels.label_file import (
    LABEL_FILE_NAME,
    decode_mask,
    encode_mask,
    read_label_file,
    write_label_file,
)
from cnnstudio.core.labels.label_set import ImageLabel, LabelSet


def assert_same_labels(read: LabelSet, written: LabelSet) -> None:
    assert read.kind == written.kind and read.label_kind == written.label_kind
    assert read.classes == written.classes and read.images == written.images
    assert sorted(read.labels) == sorted(written.labels)
    for key, label in written.labels.items():
        assert read.labels[key].same_as(label), key


def test_classes_with_every_status_and_suggestions_round_trip(tmp_path):
    images = ["a.jpg", "shelf/b.png", "c.jpg", "d.jpg", "é café.png"]
    labels = LabelSet.empty(tmp_path, "classes", ["cat", "dog", "chat noir"], images)
    labels.set(ImageLabel(status="labelled", class_name="cat"), "a.jpg")
    labels.set(ImageLabel(status="labelled", class_name="chat noir"), "shelf/b.png")
    labels.set(ImageLabel(status="skip"), "c.jpg")
    labels.set(ImageLabel(status="unsure", class_name="dog"), "d.jpg")
    labels.set(ImageLabel(status="labelled", class_name="dog", suggested=True, score=0.4812), "é café.png")

    path = write_label_file(labels)

    assert path == tmp_path / LABEL_FILE_NAME
    assert [p.name for p in tmp_path.iterdir()] == [LABEL_FILE_NAME]  # no temporary file left beside it
    read = read_label_file(tmp_path, images)
    assert_same_labels(read, labels)
    assert list(read.counted()) == ["a.jpg", "shelf/b.png"]


def test_boxes_round_trip_at_two_decimals_and_right_to_left_boxes_are_normalised(tmp_path):
    labels = LabelSet.empty(tmp_path, "boxes", ["logo", "can"], ["a.jpg", "b.jpg"])
    labels.set(box_label((12.0, 30.5, 80.25, 66.0, "logo"), (5, 5, 6, 6, "can")), "a.jpg")
    labels.set(box_label(), "b.jpg")  # labelled background
    write_label_file(labels)
    assert_same_labels(read_label_file(tmp_path, ["a.jpg", "b.jpg"]), labels)

    data = json.loads((tmp_path / LABEL_FILE_NAME).read_text())
    data["images"]["a.jpg"]["boxes"] = [[80, 66, 12, 30, "logo"]]
    (tmp_path / LABEL_FILE_NAME).write_text(json.dumps(data))
    (box,) = read_label_file(tmp_path, ["a.jpg", "b.jpg"]).get("a.jpg").boxes
    assert (box.x0, box.y0, box.x1, box.y1) == (12, 30, 80, 66)


def painted(shape, *pixels):
    mask = np.zeros(shape, np.uint8)
    for y, x in pixels:
        mask[y, x] = 1
    return mask


@pytest.mark.parametrize("mask", [
    painted((3, 4), (0, 0)),                         # starts with a defect pixel
    painted((3, 4), (2, 3)),                         # ends with one
    painted((3, 4), (0, 0), (0, 1), (2, 3), (1, 2)),
    np.ones((2, 5), np.uint8),                       # all defect
    np.zeros((4, 3), np.uint8),                      # all good
    painted((1, 1), (0, 0)),
], ids=["starts-with-1", "ends-with-1", "scattered", "all-ones", "all-zeros", "one-pixel"])
def test_mask_run_lengths_round_trip_exactly(mask):
    encoded = encode_mask(mask)
    assert encoded["size"] == list(mask.shape) and sum(encoded["counts"]) == mask.size
    if mask.reshape(-1)[0]:
        assert encoded["counts"][0] == 0  # runs always start with zeros
    assert np.array_equal(decode_mask(json.loads(json.dumps(encoded)), "here"), mask)


def test_masks_round_trip_through_the_file_and_an_empty_mask_is_saved_as_none(tmp_path):
    images = ["good.png", "scratch.png", "corner.png", "blank.png"]
    labels = LabelSet.empty(tmp_path, "masks", ["scratch"], images)
    big = np.zeros((480, 640), np.uint8)
    big[100:180, 200:420] = 1
    big[479, 639] = 1
    labels.set(ImageLabel(status="labelled", class_name="good"), "good.png")
    labels.set(ImageLabel(status="labelled", class_name="scratch", mask=big), "scratch.png")
    labels.set(ImageLabel(status="labelled", class_name="scratch", mask=painted((5, 7), (0, 0))), "corner.png")
    labels.set(ImageLabel(status="labelled", class_name="good", mask=np.zeros((5, 5), np.uint8)), "blank.png")
    write_label_file(labels)

    read = read_label_file(tmp_path, images)
    assert read.class_names == ["good", "scratch"]
    assert np.array_equal(read.get("scratch.png").mask, big) and read.get("scratch.png").mask.dtype == np.uint8
    assert np.array_equal(read.get("corner.png").mask, painted((5, 7), (0, 0)))
    assert read.get("blank.png").mask is None  # nothing painted: no mask is stored


def test_labels_of_images_gone_from_the_folder_are_kept_and_unlisted_classes_added(tmp_path):
    labels = LabelSet.empty(tmp_path, "classes", ["cat"], ["a.jpg", "gone.jpg"])
    labels.set(ImageLabel(status="labelled", class_name="cat"), "gone.jpg")
    write_label_file(labels)
    data = json.loads((tmp_path / LABEL_FILE_NAME).read_text())
    data["images"]["a.jpg"] = {"status": "labelled", "class": "hand-typed"}
    (tmp_path / LABEL_FILE_NAME).write_text(json.dumps(data))

    read = read_label_file(tmp_path, ["a.jpg"])
    assert read.class_names == ["cat", "hand-typed"]
    assert "gone.jpg" in read.labels and list(read.counted()) == ["a.jpg"]
    write_label_file(read)
    assert "gone.jpg" in json.loads((tmp_path / LABEL_FILE_NAME).read_text())["images"]


def test_no_label_file_reads_as_none(tmp_path):
    assert read_label_file(tmp_path, ["a.jpg"]) is None


GOOD = {"format": "cnnstudio-labels", "version": 1, "kind": "masks", "classes": [{"name": "good"}], "images": {}}


@pytest.mark.parametrize("content, field", [
    ("{not json", r"not valid JSON \(line 1, column 2"),
    (json.dumps({"format": "something else"}), r"not a CNN Studio label file \(\"format\" must be"),
    (json.dumps({**GOOD, "kind": "polygons"}), r"\"kind\" must be one of classes, boxes, masks, got 'polygons'"),
    (json.dumps({**GOOD, "classes": ["cat"]}), r"classes\[1\] must be"),
    (json.dumps({**GOOD, "images": ["a.png"]}), r"\"images\" must map image paths to labels"),
    (json.dumps({**GOOD, "images": {"a.png": "cat"}}), r"images\['a.png'\]: expected an object"),
    (json.dumps({**GOOD, "images": {"a.png": {"status": "done"}}}), r"images\['a.png'\]: status must be one of"),
    (json.dumps({**GOOD, "images": {"a.png": {"class": 3}}}), r"images\['a.png'\]: \"class\" must be a class name"),
    (json.dumps({**GOOD, "images": {"a.png": {"boxes": [[1, 2, 3, "logo"]]}}}),
     r"images\['a.png'\]: box 1 must be \[x0, y0, x1, y1, class\]"),
    (json.dumps({**GOOD, "images": {"a.png": {"mask": {"counts": [1]}}}}),
     r"images\['a.png'\] mask: a mask needs \"size\""),
    (json.dumps({**GOOD, "images": {"a.png": {"mask": {"size": [2, 3], "counts": [1, 2, 4]}}}}),
     r"images\['a.png'\] mask: the mask's runs add up to 7 pixels, its size 2 x 3 needs 6"),
    (json.dumps({**GOOD, "images": {"a.png": {"mask": {"size": [2, 3], "counts": [7, -1]}}}}),
     r"images\['a.png'\] mask: the mask's runs"),
], ids=["json", "format", "kind", "classes", "images", "entry", "status", "class", "box", "mask-keys",
        "mask-sum", "mask-negative"])
def test_a_malformed_label_file_names_the_file_and_the_field(tmp_path, content, field):
    path = tmp_path / LABEL_FILE_NAME
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=field) as caught:
        read_label_file(tmp_path, ["a.png"])
    assert str(caught.value).startswith(str(path))
