"""Labels a folder's layout already holds: class folders, YOLO, MVTec-AD; the label file wins; flat folders have none."""

from __future__ import annotations

import numpy as np
import pytest
from labels_helpers import box_label, flat_folder, save_image
from PIL import Image

from cnnstudio.core.labels.folder_images import list_folder_images
from cnnstudio.core.labels.label_file import write_label_file
from cnnstudio.core.labels.label_set import ImageLabel, LabelSet
from cnnstudio.core.labels.layout_labels import labels_from_layout, original_size, read_yolo_names
from cnnstudio.core.labels.layouts import write_class_folders, write_yolo
from cnnstudio.core.labels.open_labels import open_labels


def rounded(label: ImageLabel) -> list[tuple]:
    """Each box as (x0, y0, x1, y1, class), corners to 1/1000 pixel."""
    return [(*(round(v, 3) + 0.0 for v in (b.x0, b.y0, b.x1, b.y1)), b.class_name) for b in label.boxes]


def test_class_sub_folders_label_their_images_and_loose_images_stay_unlabelled(tmp_path):
    flat_folder(tmp_path, ["dent/a.png", "good/b.png", "good/more/c.jpg", "loose.png", "zebra/d.png"])
    labels = open_labels(tmp_path)
    assert labels.kind == "classes" and labels.class_names == ["good", "dent", "zebra"]  # a normal class first
    assert {key: label.class_name for key, label in labels.counted().items()} == {
        "dent/a.png": "dent", "good/b.png": "good", "good/more/c.jpg": "good", "zebra/d.png": "zebra"}
    assert labels.unlabelled() == ["loose.png"]


def test_a_flat_folder_has_no_layout_and_opens_with_no_labels(tmp_path):
    images = flat_folder(tmp_path, ["a.png", "b.jpg"])
    assert labels_from_layout(tmp_path, images) is None
    labels = open_labels(tmp_path)
    assert labels.kind == "classes" and labels.classes == [] and labels.images == images and not labels.labels


def test_the_label_file_wins_over_the_layout(tmp_path):
    flat_folder(tmp_path, ["cats/a.png", "dogs/b.png"])
    saved = LabelSet.empty(tmp_path, "boxes", ["nose"], ["cats/a.png", "dogs/b.png"])
    saved.set(box_label((1, 2, 10, 12, "nose")), "cats/a.png")
    write_label_file(saved)
    labels = open_labels(tmp_path)
    assert labels.kind == "boxes" and labels.class_names == ["nose"] and list(labels.counted()) == ["cats/a.png"]


def test_yolo_boxes_come_back_in_pixels_of_the_upright_original(tmp_path):
    save_image(tmp_path / "images/train/a.png", 100, 50)
    save_image(tmp_path / "images/b.jpg", 60, 40, exif_orientation=6)  # upright 40 x 60
    save_image(tmp_path / "images/background.png", 20, 20)
    save_image(tmp_path / "images/not_yet.png", 20, 20)
    (tmp_path / "labels/train").mkdir(parents=True)
    (tmp_path / "labels/train/a.txt").write_text("1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.2 0.2\nnonsense line\n3 0.5 0.5 0.1 0.1\n")
    (tmp_path / "labels/b.txt").write_text("0 0.5 0.25 0.5 0.5\n")
    (tmp_path / "labels/background.txt").write_text("")
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images\nnames:\n  0: logo\n  1: 'can'\n")

    labels = open_labels(tmp_path)

    assert labels.kind == "boxes" and labels.class_names == ["logo", "can"]
    # the bad line and class 3 (there are two names) are left out
    assert rounded(labels.get("images/train/a.png")) == [(40, 15, 60, 35, "can"), (0, 0, 20, 10, "logo")]
    assert rounded(labels.get("images/b.jpg")) == [(10, 0, 30, 30, "logo")]
    assert labels.get("images/background.png").counts and not labels.get("images/background.png").boxes
    assert labels.unlabelled() == ["images/not_yet.png"]  # no label file: not looked at yet


@pytest.mark.parametrize("files, names", [
    ({"classes.txt": "logo\n\ncan\n"}, ["logo", "can"]),
    ({"labels/classes.txt": "only\n"}, ["only"]),
    ({"data.yaml": "names: [logo, 'can, tin']\nnc: 2\n"}, ["logo", "'can", "tin'"]),
    ({"data.yaml": "names: ['logo', \"can\"]  # two\n"}, ["logo", "can"]),
    ({"dataset.yaml": "names: {0: logo, 1: can}\n"}, ["logo", "can"]),
    ({"data.yaml": "names:\n- logo\n- can\nnc: 2\n"}, ["logo", "can"]),
    ({"data.yaml": "names:\n  1: can\n  0: logo\n"}, ["logo", "can"]),
    ({"data.yaml": "train: images\n"}, None),
    ({}, None),
])
def test_yolo_class_names_files(tmp_path, files, names):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert read_yolo_names(tmp_path) == names


def test_yolo_without_a_names_file_gets_generic_names(tmp_path):
    save_image(tmp_path / "images/a.png", 10, 10)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/a.txt").write_text("2 0.5 0.5 0.5 0.5\n")
    labels = open_labels(tmp_path)
    assert labels.class_names == ["class0", "class1", "class2"] and labels.get("images/a.png").boxes[0].class_name == "class2"


def test_a_written_yolo_layout_opens_with_the_same_boxes(tmp_path):
    root = tmp_path / "shelf"
    save_image(root / "a.png", 64, 48)
    labels = LabelSet.empty(root, "boxes", ["logo", "can"], ["a.png"])
    labels.set(box_label((3.5, 4.25, 40, 47, "can"), (10, 10, 20, 20, "logo")), "a.png")
    dest = write_yolo(labels).dest
    back = open_labels(dest)
    assert back.class_names == ["logo", "can"]
    assert rounded(back.get("images/a.png")) == rounded(labels.get("a.png"))


def test_mvtec_folders_give_good_images_and_defects_with_masks_at_the_original_size(tmp_path):
    save_image(tmp_path / "train/good/000.png", 30, 20)
    save_image(tmp_path / "test/good/001.png", 30, 20)
    save_image(tmp_path / "test/crack/000.png", 30, 20)
    save_image(tmp_path / "test/crack/001.png", 30, 20)
    save_image(tmp_path / "test/hole/000.jpg", 30, 20)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:9, 10:25] = 255
    (tmp_path / "ground_truth/crack").mkdir(parents=True)
    Image.fromarray(mask).save(tmp_path / "ground_truth/crack/000_mask.png")
    Image.fromarray(np.zeros((7, 7), np.uint8)).save(tmp_path / "ground_truth/crack/001_mask.png")  # wrong size

    labels = open_labels(tmp_path)

    assert labels.kind == "masks" and labels.class_names == ["good", "crack", "hole"]
    assert "ground_truth/crack/000_mask.png" not in labels.images
    assert {key: label.class_name for key, label in labels.counted().items()} == {
        "train/good/000.png": "good", "test/good/001.png": "good", "test/crack/000.png": "crack",
        "test/crack/001.png": "crack", "test/hole/000.jpg": "hole"}
    assert np.array_equal(labels.get("test/crack/000.png").mask, (mask > 0).astype(np.uint8))
    assert labels.get("test/crack/001.png").mask is None  # a mask of another size is not used
    assert labels.get("test/hole/000.jpg").mask is None


def test_original_size_follows_the_exif_orientation_like_read_image(tmp_path):
    from cnnstudio.core.data.image_io import read_image

    for orientation in (1, 3, 6, 8):
        path = save_image(tmp_path / f"o{orientation}.jpg", 48, 32, exif_orientation=orientation)
        width, height = original_size(path)
        assert tuple(read_image(path).shape[1:]) == (height, width)
    assert original_size(save_image(tmp_path / "plain.png", 48, 32)) == (48, 32)


def test_labelled_exports_inside_the_folder_are_not_images_to_label(tmp_path):
    flat_folder(tmp_path, ["cats/a.png", "dogs/b.png"])
    assert write_class_folders(open_labels(tmp_path)).images == 2
    assert list_folder_images(tmp_path) == ["cats/a.png", "dogs/b.png"]
    assert open_labels(tmp_path).class_names == ["cats", "dogs"]
