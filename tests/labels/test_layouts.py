"""Writing labels as class folders, YOLO and MVTec-AD: read back by the real importers, re-runnable, originals untouched."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
import torch
from labels_helpers import box_label, class_set, flat_folder, mask_label, save_image, snapshot
from PIL import Image

from cnnstudio.core.data.image_io import fit_mask
from cnnstudio.core.labels.label_set import UNLABELLED, ImageLabel, LabelSet
from cnnstudio.core.labels.layouts import MANIFEST_NAME, write_class_folders, write_layout, write_mvtec, write_yolo
from cnnstudio.host.manager import get_plugin_manager

SIZE = 32


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def load_back(dest, **options):
    spec = get_plugin_manager().open_folder(dest)
    return spec, spec.load(spec.resolve_options({"size": SIZE, "resize": "stretch", **options}))


def original_of(source, root, keys):
    """The labelled image a layout file is a hard link of."""
    (key,) = [key for key in keys if os.path.samefile(source, root / key)]
    return key


def test_class_folders_read_back_by_the_class_folder_import_then_relabelled_and_rewritten(tmp_path):
    root = tmp_path / "photos"
    images = flat_folder(root, ["cat1.png", "shelf/a.png", "other/a.png", "dog.jpg", "dog2.png", "open.png",
                                "skipped.png"])
    labels = class_set(root, {"cat1.png": "cat", "shelf/a.png": "cat", "other/a.png": "cat", "dog.jpg": "dog",
                              "dog2.png": "dog", "open.png": None, "skipped.png": None}, ["cat", "dog"])
    labels.set(ImageLabel(status="skip"), "skipped.png")
    labels.set(ImageLabel(status="labelled", class_name="dog", suggested=True), "open.png")  # not accepted yet
    before = snapshot(root)

    summary = write_class_folders(labels)

    dest = root / "labelled-class-folders"
    assert summary.dest == dest and summary.images == 5 and summary.files_written == 5 and summary.files_removed == 0
    assert files_under(dest) == [MANIFEST_NAME, "cat/cat1.png", "cat/other__a.png", "cat/shelf__a.png",
                                 "dog/dog.jpg", "dog/dog2.png"]
    assert os.path.samefile(dest / "cat/shelf__a.png", root / "shelf/a.png")  # a link, no copy
    spec, imageset = load_back(dest)
    assert spec.task == "classification" and imageset.class_names == ["cat", "dog"]
    read = {original_of(source, root, images): imageset.class_names[label]
            for source, label in zip(imageset.sources, imageset.labels.tolist())}
    assert read == {key: label.class_name for key, label in labels.counted().items()}

    labels.set(ImageLabel(status="labelled", class_name="cat"), "dog.jpg")
    labels.set(UNLABELLED, "shelf/a.png")
    labels.set(UNLABELLED, "dog2.png")
    again = write_layout(labels, "class-folders")
    # other/a.png is now the only "a": it keeps its own name; dog/ had nothing left and is gone.
    assert files_under(dest) == [MANIFEST_NAME, "cat/a.png", "cat/cat1.png", "cat/dog.jpg"]
    assert not (dest / "dog").exists()
    assert again.images == 3 and again.files_written == 2 and again.files_removed == 4
    assert write_layout(labels, "class-folders").files_written == 0  # nothing changed: nothing rewritten
    assert {k: v for k, v in snapshot(root).items() if not k.startswith("labelled-")} == before


def test_copies_instead_of_links_and_stray_files_are_never_removed(tmp_path):
    root = tmp_path / "photos"
    flat_folder(root, ["a.png", "b.png"])
    labels = class_set(root, {"a.png": "ok", "b.png": "bad"}, ["ok", "bad"])
    dest = tmp_path / "export"
    write_class_folders(labels, dest, link=False)
    assert not os.path.samefile(dest / "ok/a.png", root / "a.png")
    assert (dest / "ok/a.png").read_bytes() == (root / "a.png").read_bytes()
    (dest / "bad" / "mine.txt").write_text("the person's own note")
    labels.set(UNLABELLED, "b.png")
    summary = write_class_folders(labels, dest, link=False)
    assert summary.files_removed == 1 and not (dest / "bad/b.png").exists()
    assert (dest / "bad/mine.txt").read_text() == "the person's own note"


def test_yolo_layout_read_back_with_the_same_boxes_then_relabelled(tmp_path):
    root = tmp_path / "shelf"
    save_image(root / "wide.png", 80, 40, seed=1)
    save_image(root / "sub/tall.png", 30, 60, seed=2)
    save_image(root / "empty.png", 50, 50, seed=3)
    save_image(root / "turned.jpg", 60, 40, seed=4, exif_orientation=6)  # stored 60x40, upright 40x60
    save_image(root / "later.png", 40, 40, seed=5)
    images = ["empty.png", "later.png", "sub/tall.png", "turned.jpg", "wide.png"]
    labels = LabelSet.empty(root, "boxes", ["logo", "can"], images)
    labels.set(box_label((10, 5, 30, 25, "logo"), (40, 0, 80, 40, "can")), "wide.png")
    labels.set(box_label((5, 10, 25, 50, "logo")), "sub/tall.png")
    labels.set(box_label((4, 30, 36, 58, "can")), "turned.jpg")
    labels.set(box_label(), "empty.png")  # labelled, no box: background
    before = snapshot(root)

    summary = write_yolo(labels)

    dest = root / "labelled-yolo"
    assert summary.images == 4 and not summary.skipped
    assert files_under(dest) == [MANIFEST_NAME, "classes.txt", "data.yaml", "images/empty.png", "images/tall.png",
                                 "images/turned.jpg", "images/wide.png", "labels/empty.txt", "labels/tall.txt",
                                 "labels/turned.txt", "labels/wide.txt"]
    assert (dest / "labels/empty.txt").read_text() == ""
    assert (dest / "classes.txt").read_text() == "logo\ncan\n"
    yaml = (dest / "data.yaml").read_text()
    assert "train: images" in yaml and "val: images" in yaml and '  1: "can"' in yaml

    spec, imageset = load_back(dest)
    assert spec.task == "detection" and imageset.class_names == ["background", "logo", "can"]
    by_key = {original_of(source, root, images): (label, boxes)
              for source, label, boxes in zip(imageset.sources, imageset.labels.tolist(), imageset.boxes)}
    upright = {"wide.png": (80, 40), "sub/tall.png": (30, 60), "turned.jpg": (40, 60), "empty.png": (50, 50)}
    for key, (width, height) in upright.items():
        expected = torch.tensor([[b.x0 * SIZE / width, b.y0 * SIZE / height, b.x1 * SIZE / width, b.y1 * SIZE / height]
                                 for b in labels.get(key).boxes]).reshape(-1, 4)
        label, boxes = by_key[key]
        assert torch.allclose(boxes, expected, atol=1e-3), key
    assert [by_key[key][0] for key in ("wide.png", "sub/tall.png", "turned.jpg", "empty.png")] == [2, 1, 2, 0]

    labels.set(box_label(), "wide.png")  # its boxes deleted: now a background image
    labels.set(UNLABELLED, "sub/tall.png")
    labels.set(box_label((0, 0, 20, 20, "logo")), "later.png")
    again = write_yolo(labels)
    assert files_under(dest) == [MANIFEST_NAME, "classes.txt", "data.yaml", "images/empty.png", "images/later.png",
                                 "images/turned.jpg", "images/wide.png", "labels/empty.txt", "labels/later.txt",
                                 "labels/turned.txt", "labels/wide.txt"]
    assert (dest / "labels/wide.txt").read_text() == ""
    assert again.files_removed == 2 and again.files_written == 3  # later's image and txt, wide's txt
    assert {k: v for k, v in snapshot(root).items() if not k.startswith("labelled-")} == before


def test_yolo_boxes_outside_the_image_are_clipped_and_an_unreadable_image_is_left_out(tmp_path):
    root = tmp_path / "shelf"
    save_image(root / "a.png", 40, 20)
    (root / "broken.png").write_bytes(b"not a png")
    labels = LabelSet.empty(root, "boxes", ["logo"], ["a.png", "broken.png"])
    labels.set(box_label((-10, -5, 20, 10, "logo"), (50, 0, 60, 10, "logo")), "a.png")
    labels.set(box_label((1, 1, 5, 5, "logo")), "broken.png")
    summary = write_yolo(labels)
    assert (summary.dest / "labels/a.txt").read_text() == "0 0.250000 0.250000 0.500000 0.500000\n"
    assert summary.images == 1 and len(summary.skipped) == 1 and summary.skipped[0].startswith("broken.png: ")
    assert not (summary.dest / "images/broken.png").exists()


def test_mvtec_layout_read_back_with_the_masks(tmp_path):
    root = tmp_path / "parts"
    names = [f"good{i}.png" for i in range(6)] + ["scratch_a.png", "scratch_b.jpg", "dent.png", "loose.png"]
    flat_folder(root, names, size=(40, 30))
    shapes = {name: Image.open(root / name).size[::-1] for name in names}
    labels = LabelSet.empty(root, "masks", ["scratch", "dent"], sorted(names))
    for i in range(6):
        labels.set(mask_label("good", shapes[f"good{i}.png"], None), f"good{i}.png")
    labels.set(mask_label("scratch", shapes["scratch_a.png"], (5, 5, 20, 12)), "scratch_a.png")
    labels.set(mask_label("scratch", shapes["scratch_b.jpg"], (0, 0, 8, 30)), "scratch_b.jpg")
    labels.set(mask_label("dent", shapes["dent.png"], (30, 20, 40, 30)), "dent.png")
    before = snapshot(root)

    summary = write_mvtec(labels)

    dest = root / "labelled-mvtec"
    assert summary.images == 9
    assert files_under(dest) == [
        MANIFEST_NAME, "ground_truth/dent/000_mask.png", "ground_truth/scratch/000_mask.png",
        "ground_truth/scratch/001_mask.png", "test/dent/000.png", "test/good/004.png", "test/scratch/000.png",
        "test/scratch/001.jpg", "train/good/000.png", "train/good/001.png", "train/good/002.png", "train/good/003.png",
        "train/good/005.png"]
    saved_mask = np.asarray(Image.open(dest / "ground_truth/scratch/001_mask.png"))
    assert saved_mask.shape == shapes["scratch_b.jpg"] and set(np.unique(saved_mask)) == {0, 255}

    spec, imageset = load_back(dest, defects="train", defect_types=True)
    assert spec.task == "defect" and imageset.class_names == ["good", "dent", "scratch"]
    assert imageset.masks is not None
    for source, label, mask in zip(imageset.sources, imageset.labels.tolist(), imageset.masks):
        key = original_of(source, root, names)
        expected = labels.get(key)
        assert imageset.class_names[label] == expected.class_name
        painted = expected.mask if expected.mask is not None else np.zeros(shapes[key], np.uint8)
        assert torch.equal(mask, fit_mask(torch.from_numpy(painted), SIZE, "stretch")), key
    assert {k: v for k, v in snapshot(root).items() if not k.startswith("labelled-")} == before

    labels.set(replace(labels.get("dent.png"), status="unsure"), "dent.png")
    again = write_mvtec(labels)
    assert not (dest / "test/dent").exists() and not (dest / "ground_truth/dent").exists()
    assert again.files_removed == 2 and again.files_written == 0


@pytest.mark.parametrize("layout, kind", [("yolo", "classes"), ("mvtec", "boxes"), ("class-folders", "masks")])
def test_a_layout_that_does_not_fit_the_kind_is_refused(tmp_path, layout, kind):
    labels = LabelSet.empty(tmp_path, kind, ["a"])
    with pytest.raises(ValueError, match=f"the {layout} layout needs .* are kind '{kind}'"):
        write_layout(labels, layout)


def test_an_unknown_layout_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="unknown layout 'coco'; known: class-folders, yolo, mvtec"):
        write_layout(LabelSet.empty(tmp_path, "boxes", ["a"]), "coco")


def test_a_layout_is_never_written_over_the_labelled_folder(tmp_path):
    flat_folder(tmp_path / "photos", ["a.png"])
    labels = class_set(tmp_path / "photos", {"a.png": "ok"}, ["ok"])
    for dest in (tmp_path / "photos", tmp_path):
        with pytest.raises(ValueError, match="cannot be written over the labelled folder"):
            write_class_folders(labels, dest)
