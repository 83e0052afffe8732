"""The decoded-image cache: reopening a folder decodes only what changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from cnnstudio.core.data.folder_cache import cache_folder
from cnnstudio.core.data.folder_import import import_class_folders


@pytest.fixture
def folder(class_folder: Path) -> Path:
    (class_folder / "red" / "bad.png").write_bytes(b"not a png")
    return class_folder


def test_reopening_a_folder_decodes_nothing(folder, decode_counter):
    first = import_class_folders(folder, size=16)
    assert len(decode_counter) == 7
    decode_counter.clear()
    second = import_class_folders(folder, size=16)
    assert decode_counter == []
    assert torch.equal(first.images, second.images)
    assert first.sources == second.sources and first.labels.tolist() == second.labels.tolist()
    assert [(s.path, s.reason) for s in second.skipped] == [(s.path, s.reason) for s in first.skipped]
    assert [Path(s.path).name for s in second.skipped] == ["bad.png"]


def test_cache_lives_under_cnnstudio_cache_dir(folder, isolated_user_folders):
    import_class_folders(folder, size=16)
    cached = cache_folder(folder, 16, "pad")
    assert cached.is_relative_to(isolated_user_folders / "cache" / "folders")
    assert {p.name for p in cached.iterdir()} == {"images.safetensors", "index.json"}


def test_a_modified_file_is_decoded_again(folder, decode_counter, write_image):
    import_class_folders(folder, size=16)
    decode_counter.clear()
    changed = folder / "blue" / "b1.png"
    write_image(changed, (0, 255, 0), size=(14, 10))
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    reopened = import_class_folders(folder, size=16)
    assert decode_counter == ["b1.png"]
    row = reopened.sources.index(str(changed))
    assert reopened.images[row, :, 8, 8].tolist() == [0, 255, 0]


def test_new_files_are_decoded_and_removed_files_dropped(folder, decode_counter, write_image):
    import_class_folders(folder, size=16)
    decode_counter.clear()
    (folder / "red" / "r0.png").unlink()
    write_image(folder / "blue" / "b9.png", (0, 0, 99))
    reopened = import_class_folders(folder, size=16)
    assert decode_counter == ["b9.png"]
    names = [Path(s).name for s in reopened.sources]
    assert "r0.png" not in names and "b9.png" in names and len(names) == 6


def test_a_different_size_or_policy_uses_its_own_cache(folder, decode_counter):
    import_class_folders(folder, size=16)
    decode_counter.clear()
    import_class_folders(folder, size=24)
    import_class_folders(folder, size=16, policy="crop")
    assert len(decode_counter) == 14


@pytest.mark.parametrize("damaged", ["images.safetensors", "index.json"])
def test_a_corrupt_cache_is_rebuilt(folder, decode_counter, damaged):
    first = import_class_folders(folder, size=16)
    (cache_folder(folder, 16, "pad") / damaged).write_bytes(b"\x00garbage{")
    decode_counter.clear()
    rebuilt = import_class_folders(folder, size=16)
    assert len(decode_counter) == 7
    assert torch.equal(first.images, rebuilt.images)
    decode_counter.clear()
    import_class_folders(folder, size=16)
    assert decode_counter == []


def test_images_and_index_from_different_writes_are_not_mixed(folder, decode_counter):
    import_class_folders(folder, size=16)
    cache = cache_folder(folder, 16, "pad")
    old_images = (cache / "images.safetensors").read_bytes()
    (folder / "red" / "r0.png").unlink()
    import_class_folders(folder, size=16)
    (cache / "images.safetensors").write_bytes(old_images)  # as if a crash hit between the two writes
    decode_counter.clear()
    reopened = import_class_folders(folder, size=16)
    assert len(decode_counter) == 6 and len(reopened) == 5


def test_use_cache_false_neither_reads_nor_writes(folder, decode_counter):
    import_class_folders(folder, size=16, use_cache=False)
    assert not cache_folder(folder, 16, "pad").exists()
    import_class_folders(folder, size=16, use_cache=False)
    assert len(decode_counter) == 14


def test_an_explicit_cache_dir_is_used(folder, tmp_path):
    import_class_folders(folder, size=16, cache_dir=tmp_path / "mine")
    assert cache_folder(folder, 16, "pad", tmp_path / "mine").joinpath("index.json").is_file()
