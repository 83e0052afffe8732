"""Class names for YOLO folders from classes.txt or the names: entry of data.yaml, without PyYAML."""

from __future__ import annotations

import pytest
from imports_helpers import plugin_helper

labels = plugin_helper("_yolo_labels")


@pytest.mark.parametrize("text", [
    "path: ../data\nnames: [cat, 'hot dog', \"bird\"]  # three\nnc: 3\n",
    "names:\n  - cat\n  - 'hot dog'\n  - bird\nnc: 3\n",
    "names:\n- cat\n- hot dog\n- bird\n",
    "train: images/train\nnames:\n  0: cat\n  1: hot dog   # a comment\n  2: bird\n",
    "names: {0: cat, 1: 'hot dog', 2: bird}\n",
    "names: [cat,\n  hot dog,\n  bird]\n",
])
def test_yolo_names_are_read_from_every_data_yaml_form(tmp_path, text):
    (tmp_path / "data.yaml").write_text(text)
    assert labels.read_class_names(tmp_path) == (["cat", "hot dog", "bird"], "data.yaml")


def test_yolo_names_prefer_classes_txt_and_skip_blank_lines(tmp_path):
    (tmp_path / "classes.txt").write_text("cat\n\n dog \n")
    (tmp_path / "data.yaml").write_text("names: [x, y, z]\n")
    assert labels.read_class_names(tmp_path) == (["cat", "dog"], "classes.txt")


def test_yolo_names_fall_back_to_dataset_yaml_and_ignore_a_malformed_mapping(tmp_path):
    (tmp_path / "data.yaml").write_text("names:\n  0: cat\n  5: dog\n")  # numbers with a gap
    (tmp_path / "dataset.yaml").write_text("names: [cat, dog]\n")
    assert labels.read_class_names(tmp_path) == (["cat", "dog"], "dataset.yaml")
    (tmp_path / "dataset.yaml").unlink()
    assert labels.read_class_names(tmp_path) is None


def test_yolo_label_parser_keeps_valid_lines_and_numbers_the_bad_ones():
    parsed = labels.parse_labels("0 0.5 0.5 0.2 0.2\n\n3 0.5 0.5 0.2 0.2\n1 1 1 1 1\n", 2, "classes.txt")
    assert [(b.class_id, b.cx, b.w) for b in parsed.boxes] == [(0, 0.5, 0.2), (1, 1.0, 1.0)]
    assert parsed.problems == ["line 3: class 3 is out of range: classes.txt names 2 classes (0..1)"]
