"""A class folder with one sub-folder of good images opens as a defect dataset with synthetic defects."""

from __future__ import annotations

import pytest
from imports_helpers import background, save

from cnnstudio.core.data.imageset import ANY_SPLIT
from cnnstudio.core.errors import DatasetError
from cnnstudio.host.manager import get_plugin_manager


def good_folder(root, count=5):
    for i in range(count):
        save(root / "good" / f"{i:03d}.jpg", background(40 + i, 36, seed=i))
    return root


def test_one_good_sub_folder_opens_as_an_anomaly_dataset(tmp_path):
    root = good_folder(tmp_path / "Parts")
    spec = get_plugin_manager().open_folder(root)
    assert (spec.task, spec.default_head, spec.class_names) == ("defect", "defect_map", ("good", "defect"))
    assert "one class sub-folder only" in spec.description and "second sub-folder" in spec.description
    data = spec.load(spec.resolve_options({"size": 32}))
    assert data.class_names == ["good", "defect"] and data.labels.tolist() == [0] * 5 + [1] * 5
    assert [s.endswith("#synthetic") for s in data.sources] == [False] * 5 + [True] * 5
    assert data.masks is not None and int(data.masks[:5].sum()) == 0 and bool((data.masks[5:].flatten(1).amax(1) > 0).all())
    assert data.split_roles.tolist() == [ANY_SPLIT] * 10


def test_two_sub_folders_stay_a_classifier(tmp_path):
    root = good_folder(tmp_path / "Parts")
    save(root / "scratched" / "a.jpg", background(40, 36, seed=9))
    assert get_plugin_manager().open_folder(root).task == "classification"


def test_a_good_folder_without_a_readable_image_names_the_folder(tmp_path):
    root = tmp_path / "Parts"
    (root / "good").mkdir(parents=True)
    (root / "good" / "001.jpg").write_bytes(b"not a jpeg")
    spec = get_plugin_manager().open_folder(root)
    with pytest.raises(DatasetError, match=f"{root}: need at least one class sub-folder with images, none has a readable"):
        spec.load(spec.resolve_options({"size": 32}))
