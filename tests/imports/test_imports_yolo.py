"""YOLO detection folders: recognised, loaded with aligned boxes, every bad line and file named."""

from __future__ import annotations

import pytest
import torch
from imports_helpers import make_yolo, save, text_named_png, truncated_png

from cnnstudio.core.errors import DatasetError
from cnnstudio.host.manager import get_plugin_manager


def open_spec(root):
    return get_plugin_manager().open_folder(root)


def load(root, **options):
    spec = open_spec(root)
    return spec.load(spec.resolve_options(options))


def test_yolo_folder_opens_as_a_detection_dataset_with_the_boxes_head(tmp_path):
    root = make_yolo(tmp_path / "pets")
    spec = open_spec(root)
    assert spec.id == f"folder:{root}" and spec.title == "pets"
    assert spec.task == "detection" and spec.default_head == "boxes"
    assert spec.class_names == ("background", "cat", "dog", "bird")
    assert spec.resolve_options() == {"size": "auto", "resize": "pad"}
    assert "labels/<name>.txt" in spec.description


def test_yolo_labels_are_background_or_the_class_of_the_largest_box(tmp_path):
    root = make_yolo(tmp_path / "pets")
    data = load(root, size=32)
    assert data.images.shape == (7, 3, 32, 32) and data.class_names == ["background", "cat", "dog", "bird"]
    by_source = {source.split("images/")[1]: int(label) for source, label in zip(data.sources, data.labels)}
    # c.png holds a small bird (class 2) and a larger cat (class 0): the cat decides.
    assert by_source == {"g.png": 3, "train/a.png": 1, "train/b.jpg": 2, "train/c.png": 1,
                         "train/d.png": 0, "val/e.png": 2, "val/f.png": 0}
    assert [len(b) for b in data.boxes] == [1, 1, 1, 2, 0, 1, 0]
    assert all(b.dtype == torch.float32 and b.shape[1:] == (4,) for b in data.boxes)
    assert data.masks is None and data.skipped == []


@pytest.mark.parametrize("policy", ["pad", "crop", "stretch"])
def test_yolo_boxes_sit_on_the_painted_rectangles_after_fitting(tmp_path, policy):
    data = load(make_yolo(tmp_path / "pets"), size=48, resize=policy)
    for image, boxes, source in zip(data.images.int(), data.boxes, data.sources):
        red = (image[0] > 190) & (image[1] < 70)  # (48, 48) wholly red pixels
        inside = torch.zeros_like(red)
        for x0, y0, x1, y1 in boxes.tolist():
            assert 0 <= x0 < x1 <= 48 and 0 <= y0 < y1 <= 48, source
            inside[int(y0) : int(y1 + 0.999), int(x0) : int(x1 + 0.999)] = True
            assert red[round(y0) : int(y1), round(x0) : int(x1)].float().mean() > 0.6, f"{source}: box off the red"
        assert bool((inside | ~red).all()), f"{source}: red pixels outside every box"


def test_yolo_crop_drops_a_box_cut_away_and_the_image_becomes_background(tmp_path):
    root = tmp_path / "wide"
    save(root / "images" / "a.png", torch.full((40, 120, 3), 120, dtype=torch.uint8).numpy())
    save(root / "images" / "b.png", torch.full((40, 40, 3), 120, dtype=torch.uint8).numpy())
    (root / "labels").mkdir()
    (root / "labels" / "a.txt").write_text("0 0.05 0.5 0.08 0.5\n")  # in the left 10%: outside the centre square
    (root / "labels" / "b.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    cropped = load(root, size=40, resize="crop")
    assert cropped.labels.tolist() == [0, 1] and len(cropped.boxes[0]) == 0
    padded = load(root, size=40, resize="pad")
    assert padded.labels.tolist() == [1, 1] and len(padded.boxes[0]) == 1


BAD_LINES = {
    2: ("0 0.5 0.5 0.2", "line 2: expected 5 numbers 'class cx cy w h', got 4"),
    3: ("1 0.5 0.5 0.2 0.2 0.1", "line 3: expected 5 numbers 'class cx cy w h', got 6"),
    4: ("0 0.5 abc 0.2 0.2", "line 4: not a number: 'abc'"),
    5: ("7 0.5 0.5 0.2 0.2", "line 5: class 7 is out of range: classes.txt names 3 classes (0..2)"),
    6: ("0 1.3 0.5 0.2 0.2", "line 6: coordinates must be normalised to 0..1, got cx=1.3"),
    7: ("0 0.5 0.5 -0.1 0.2", "line 7: coordinates must be normalised to 0..1, got w=-0.1"),
    8: ("1.5 0.5 0.5 0.2 0.2", "line 8: class must be a whole number >= 0, got '1.5'"),
    9: ("0 0.5 0.5 0 0.2", "line 9: box width and height must be > 0"),
    10: ("0 nan 0.5 0.2 0.2", "line 10: not a number: 'nan'"),
    11: ("0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8", "(polygon segmentation labels are not supported)"),
}


def test_yolo_names_every_bad_label_line_and_keeps_the_good_ones(tmp_path):
    root = make_yolo(tmp_path / "pets")
    lines = ["1 0.5 0.5 0.4 0.4", *(line for line, _ in BAD_LINES.values()), "", "2 0.2 0.2 0.1 0.1"]
    label_file = root / "labels" / "train" / "a.txt"
    label_file.write_text("\n".join(lines) + "\n")
    data = load(root, size=32)
    problems = [item.reason for item in data.skipped if item.path == str(label_file)]
    assert len(problems) == len(BAD_LINES) == len(data.skipped)
    for (_, expected), reason in zip(BAD_LINES.values(), problems):
        assert expected in reason
    index = data.sources.index(str(root / "images" / "train" / "a.png"))
    assert len(data.boxes[index]) == 2 and data.labels[index] == 2  # the two good lines; the dog is larger


def test_yolo_reports_unreadable_images_and_label_files_and_orphan_labels(tmp_path):
    root = make_yolo(tmp_path / "pets")
    truncated_png(root / "images" / "train" / "broken.png")
    (root / "labels" / "train" / "broken.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    text_named_png(root / "images" / "notes.png")
    (root / "labels" / "ghost.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    save(root / "images" / "binary_label.png", torch.full((32, 32, 3), 99, dtype=torch.uint8).numpy())
    (root / "labels" / "binary_label.txt").write_bytes(b"\xff\xfe\x00\x81 binary")
    (root / "images" / "readme.md").write_text("not an image extension: ignored")

    data = load(root, size=32)
    reasons = {item.path: item.reason for item in data.skipped}
    assert "truncated" in reasons[str(root / "images" / "train" / "broken.png")]
    assert "not a readable image" in reasons[str(root / "images" / "notes.png")]
    assert reasons[str(root / "labels" / "ghost.txt")] == "label file without an image (no images/ghost.* found)"
    assert "is not a text file; image left out" in reasons[str(root / "images" / "binary_label.png")]
    assert len(data.skipped) == 4 and len(data) == 7


def test_yolo_without_a_names_file_calls_classes_by_number(tmp_path):
    root = make_yolo(tmp_path / "pets", names=False)
    assert open_spec(root).class_names == ("background", "object")
    data = load(root, size=32)
    assert data.class_names == ["background", "class0", "class1", "class2"]
    assert sorted(set(data.labels.tolist())) == [0, 1, 2, 3]


def test_yolo_with_one_unnamed_class_calls_it_object(tmp_path):
    root = tmp_path / "one"
    for i in range(3):
        save(root / "images" / f"{i}.png", torch.full((30, 40, 3), 50 * i, dtype=torch.uint8).numpy())
    (root / "labels").mkdir()
    (root / "labels" / "0.txt").write_text("0 0.5 0.5 0.3 0.3\n")
    data = load(root, size=32)
    assert data.class_names == ["background", "object"] and data.labels.tolist() == [1, 0, 0]


def test_yolo_without_any_usable_box_is_an_error_naming_the_folder(tmp_path):
    root = tmp_path / "empty_labels"
    save(root / "images" / "a.png", torch.full((30, 40, 3), 80, dtype=torch.uint8).numpy())
    (root / "labels").mkdir()
    (root / "labels" / "a.txt").write_text("0 2 2 2 2\n")
    with pytest.raises(DatasetError, match=f"{root}: no image has a usable box"):
        load(root)


def test_yolo_without_readable_images_is_an_error_naming_the_folder(tmp_path):
    root = tmp_path / "broken"
    truncated_png(root / "images" / "a.png")
    (root / "labels").mkdir()
    with pytest.raises(DatasetError, match=f"{root}: no readable images in images/"):
        load(root)
