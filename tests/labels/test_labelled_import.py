"""Training on a folder labelled in the Label tab: the import, its summary, the folder plugin, and `cnnstudio train`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from labels_helpers import box_label, class_set, flat_folder, mask_label, save_image
from PIL import Image

from cnnstudio.cli.main import main
from cnnstudio.core.data.image_io import fit_boxes, fit_mask
from cnnstudio.core.errors import DatasetError
from cnnstudio.core.labels.label_file import write_label_file
from cnnstudio.core.labels.label_set import ImageLabel, LabelSet
from cnnstudio.core.labels.labelled_import import import_labelled_folder, labelled_folder_summary
from cnnstudio.host.manager import get_plugin_manager


def names_of(imageset):
    return {source.rsplit("/", 1)[-1]: imageset.class_names[label]
            for source, label in zip(imageset.sources, imageset.labels.tolist())}


def test_only_counted_labels_train_with_the_normal_class_first_and_unreadable_files_skipped(tmp_path):
    flat_folder(tmp_path, ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png", "sub/g.png"])
    (tmp_path / "broken.png").write_bytes(b"not a png")
    labels = class_set(tmp_path, {"a.png": "scratch", "b.png": "good", "c.png": "good", "sub/g.png": "scratch",
                                  "broken.png": "good", "d.png": None, "e.png": None, "f.png": None},
                       ["scratch", "good", "never used"])
    labels.set(ImageLabel(status="skip", class_name="good"), "d.png")
    labels.set(ImageLabel(status="unsure", class_name="scratch"), "e.png")
    labels.set(ImageLabel(status="labelled", class_name="good", suggested=True, score=0.5), "f.png")
    write_label_file(labels)

    imageset = import_labelled_folder(tmp_path, size=16)

    assert imageset.class_names == ["good", "scratch"]
    assert names_of(imageset) == {"a.png": "scratch", "b.png": "good", "c.png": "good", "g.png": "scratch"}
    assert tuple(imageset.images.shape) == (4, 3, 16, 16) and imageset.images.dtype == torch.uint8
    (skipped,) = imageset.skipped
    assert skipped.path == str(tmp_path / "broken.png") and "not a readable image" in skipped.reason
    summary = labelled_folder_summary(tmp_path)
    assert summary == ("classes", ("good", "scratch"), 5, 8)  # broken.png is counted: nothing is decoded


def test_fewer_than_two_classes_says_how_many_each_has_and_where_to_label(tmp_path):
    flat_folder(tmp_path, ["a.png", "b.png", "c.png"])
    write_label_file(class_set(tmp_path, {"a.png": "cat", "b.png": "cat", "c.png": None}, ["cat", "dog"]))
    with pytest.raises(DatasetError) as caught:
        import_labelled_folder(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: training needs labelled images of at least two classes")
    assert "cat 2, dog 0" in message and "1 not labelled" in message and "Label tab" in message


def test_no_label_file_is_a_clear_error(tmp_path):
    flat_folder(tmp_path, ["a.png"])
    with pytest.raises(DatasetError, match="no cnnstudio-labels.json here; label the images in the Label tab"):
        import_labelled_folder(tmp_path)


def test_boxes_train_like_yolo_with_boxes_fitted_from_original_pixels(tmp_path):
    save_image(tmp_path / "big.jpg", 400, 300, seed=1, fmt="JPEG")  # decoded as a smaller JPEG draft
    save_image(tmp_path / "small.png", 40, 60, seed=2)
    save_image(tmp_path / "empty.png", 30, 30, seed=3)
    save_image(tmp_path / "open.png", 30, 30, seed=4)
    labels = LabelSet.empty(tmp_path, "boxes", ["logo", "can"], ["big.jpg", "empty.png", "open.png", "small.png"])
    labels.set(box_label((40, 30, 120, 90, "logo"), (200, 100, 380, 280, "can")), "big.jpg")
    labels.set(box_label((5, 10, 20, 50, "logo")), "small.png")
    labels.set(box_label(), "empty.png")
    write_label_file(labels)

    imageset = import_labelled_folder(tmp_path, size=32, policy="pad")

    assert imageset.class_names == ["background", "logo", "can"]
    assert names_of(imageset) == {"big.jpg": "can", "empty.png": "background", "small.png": "logo"}
    for source, boxes in zip(imageset.sources, imageset.boxes):
        name = source.rsplit("/", 1)[-1]
        width, height = Image.open(source).size
        original = torch.tensor([[b.x0, b.y0, b.x1, b.y1] for b in labels.get(name).boxes]).reshape(-1, 4)
        expected, _ = fit_boxes(original, height, width, 32, "pad")
        assert torch.allclose(boxes, expected, atol=1e-3), name
    assert labelled_folder_summary(tmp_path) == ("boxes", ("background", "logo", "can"), 3, 4)


def test_masks_train_like_mvtec_and_need_good_and_defect_images(tmp_path):
    names = ["g1.png", "g2.png", "s1.png", "s2.png"]
    flat_folder(tmp_path, names, size=(40, 30))
    shape = {name: np.asarray(Image.open(tmp_path / name)).shape[:2] for name in names}
    labels = LabelSet.empty(tmp_path, "masks", ["scratch", "dent"], names)
    labels.set(mask_label("good", shape["g1.png"], None), "g1.png")
    labels.set(mask_label("good", shape["g2.png"], None), "g2.png")
    labels.set(mask_label("scratch", shape["s1.png"], (3, 4, 30, 9)), "s1.png")
    labels.set(mask_label("dent", shape["s2.png"], (0, 20, 5, 30)), "s2.png")
    write_label_file(labels)

    imageset = import_labelled_folder(tmp_path, size=24, policy="crop")

    assert imageset.class_names == ["good", "defect"]
    assert names_of(imageset) == {"g1.png": "good", "g2.png": "good", "s1.png": "defect", "s2.png": "defect"}
    for source, mask in zip(imageset.sources, imageset.masks):
        label = labels.get(source.rsplit("/", 1)[-1])
        if label.mask is None:
            assert not mask.any()
        else:
            assert torch.equal(mask, fit_mask(torch.from_numpy(label.mask), 24, "crop"))
    assert labelled_folder_summary(tmp_path) == ("masks", ("good", "defect"), 4, 4)

    labels.set(ImageLabel(), "s1.png")
    labels.set(ImageLabel(), "s2.png")
    write_label_file(labels)
    with pytest.raises(DatasetError, match=r"needs both good and defect images; labelled and readable: 2 good, 0 with"):
        import_labelled_folder(tmp_path)


def test_the_plugin_claims_a_labelled_folder_before_its_layout(tmp_path):
    # A YOLO-looking folder whose label file says classes: the label file wins.
    flat_folder(tmp_path, ["images/a.png", "images/b.png", "images/c.png"])
    (tmp_path / "labels").mkdir()
    write_label_file(class_set(tmp_path, {"images/a.png": "ok", "images/b.png": "bad", "images/c.png": None},
                               ["ok", "bad"]))
    spec = get_plugin_manager().open_folder(tmp_path)
    assert spec.task == "classification" and spec.class_names == ("ok", "bad")
    assert "2 of 3 images labelled" in spec.description
    imageset = spec.load(spec.resolve_options({"size": 16}))
    assert names_of(imageset) == {"a.png": "ok", "b.png": "bad"}


@pytest.mark.parametrize("kind, task, head", [("boxes", "detection", "boxes"), ("masks", "defect", "defect_map")])
def test_the_plugin_picks_the_task_and_head_from_the_kind(tmp_path, kind, task, head):
    flat_folder(tmp_path, ["a.png"])
    write_label_file(LabelSet.empty(tmp_path, kind, ["thing"], ["a.png"]))
    spec = get_plugin_manager().open_folder(tmp_path)
    assert (spec.task, spec.default_head) == (task, head)


def test_a_broken_label_file_is_reported_when_the_folder_opens(tmp_path):
    flat_folder(tmp_path, ["a.png"])
    (tmp_path / "cnnstudio-labels.json").write_text(json.dumps({"format": "cnnstudio-labels", "kind": "lines"}))
    with pytest.raises(DatasetError, match=r"cnnstudio-labels.json: \"kind\" must be one of"):
        get_plugin_manager().open_folder(tmp_path)


def test_a_flat_unlabelled_folder_opens_and_says_to_label_it(tmp_path):
    folder = tmp_path / "holiday photos"
    flat_folder(folder, ["a.png", "b.jpg", "c.png"])
    (folder / "notes").mkdir()  # a sub-folder without images keeps it flat
    (folder / "notes/readme.txt").write_text("hi")
    spec = get_plugin_manager().open_folder(folder)
    assert "3 images and no labels yet" in spec.description
    with pytest.raises(DatasetError) as caught:
        spec.load(spec.resolve_options({}))
    assert str(caught.value) == (f"{folder} holds 3 images and no labels yet: label them in the Label tab (at least "
                                 f"two classes), or sort them into one sub-folder per class")


def test_folders_with_images_in_sub_folders_are_left_to_the_other_layouts(tmp_path):
    flat_folder(tmp_path, ["loose.png", "cats/a.png", "dogs/b.png"])
    spec = get_plugin_manager().open_folder(tmp_path)
    assert spec.class_names == ("cats", "dogs") and "sub-folder per class" in spec.description


def test_cnnstudio_train_on_a_labelled_flat_folder(tmp_path, capsys):
    folder = tmp_path / "photos"
    by_image = {}
    for i in range(8):
        for name, colour in (("ok", 210), ("dented", 40)):
            path = folder / f"{name}_{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (16, 16), (colour + i, colour, colour)).save(path)
            by_image[path.name] = name
    Image.new("RGB", (16, 16)).save(folder / "not_labelled.png")
    by_image["not_labelled.png"] = None
    write_label_file(class_set(folder, by_image, ["dented", "ok"]))

    code = main(["train", "--dataset", str(folder), "--preset", "seed", "--epochs", "1", "--threads", "1",
                 "--out", str(tmp_path / "runs"), "--json", "--no-progress"])

    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert result["epochs"] == 1 and result["reason"] == "completed"
    run = json.loads((Path(result["run_dir"]) / "run.json").read_text())
    assert run["class_names"] == ["ok", "dented"] and run["dataset_task"] == "classification"
    assert sum(run["split_sizes"].values()) == 16  # the unlabelled image is left out


def test_cnnstudio_train_on_an_unlabelled_flat_folder_says_to_label_it(tmp_path, capsys):
    folder = tmp_path / "photos"
    flat_folder(folder, ["a.png", "b.png"])
    code = main(["train", "--dataset", str(folder), "--preset", "seed", "--epochs", "1", "--threads", "1",
                 "--out", str(tmp_path / "runs"), "--no-progress"])
    assert code == 2
    assert "holds 2 images and no labels yet: label them in the Label tab" in capsys.readouterr().err
