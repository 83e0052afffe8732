"""Importing a folder of class sub-folders, including broken and odd files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.core.data.folder_import import import_class_folders
from cnnstudio.core.errors import DatasetError


@pytest.fixture
def messy_folder(tmp_path: Path, write_image, noise_image) -> Path:
    """A realistic folder: good images plus every kind of junk a person's folder holds."""
    root = tmp_path / "messy"
    write_image(root / "cats" / "c0.png", (250, 0, 0))
    write_image(root / "cats" / "c1.JPG", (240, 10, 10), fmt="JPEG")
    write_image(root / "cats" / "nested" / "c2.bmp", (230, 0, 0))
    write_image(root / "cats" / "disguised.jpg", (220, 0, 0), fmt="PNG")  # PNG bytes, .jpg name: fine
    truncated = noise_image(root / "cats" / "truncated.png", seed=1, size=(32, 32))
    truncated.write_bytes(truncated.read_bytes()[:200])
    (root / "cats" / "zero.jpg").write_bytes(b"")
    (root / "cats" / "text.jpg").write_text("this is not a picture")
    (root / "cats" / ".hidden.png").write_bytes(b"junk")  # hidden: ignored
    (root / "cats" / "readme.txt").write_text("notes")  # not an image name: ignored
    (root / "cats" / "nested" / "junk.dat").write_bytes(b"\x00\x01")
    (root / "cats" / ".git").mkdir()
    (root / "cats" / ".git" / "broken.png").write_bytes(b"junk")  # hidden folder: ignored
    write_image(root / "dogs" / "d0.jpeg", (0, 0, 250), fmt="JPEG")
    write_image(root / "dogs" / "d1.webp", (0, 0, 240), fmt="WEBP")
    write_image(root / "dogs" / "d2.tif", (0, 0, 230), fmt="TIFF")
    (root / "empty").mkdir()
    write_image(root / ".thumbnails" / "t.png", (0, 255, 0))  # hidden class folder: ignored
    write_image(root / "loose.png", (0, 255, 0))  # not in a class folder: ignored
    return root


def test_folder_import_loads_the_good_images_in_sorted_order(messy_folder):
    dataset = import_class_folders(messy_folder, size=16, policy="pad")
    assert dataset.class_names == ["cats", "dogs"]
    assert dataset.images.shape == (7, 3, 16, 16) and dataset.images.dtype == torch.uint8
    names = [Path(source).relative_to(messy_folder).as_posix() for source in dataset.sources]
    assert names == [
        "cats/c0.png", "cats/c1.JPG", "cats/disguised.jpg", "cats/nested/c2.bmp",
        "dogs/d0.jpeg", "dogs/d1.webp", "dogs/d2.tif",
    ]
    assert dataset.labels.tolist() == [0, 0, 0, 0, 1, 1, 1]
    red, blue = dataset.images[0, :, 8, 8].tolist(), dataset.images[4, :, 8, 8].tolist()
    assert red[0] > 200 and red[2] < 30 and blue[2] > 200 and blue[0] < 30


def test_folder_import_reports_exactly_the_unreadable_files(messy_folder):
    dataset = import_class_folders(messy_folder, size=16)
    reasons = {Path(item.path).relative_to(messy_folder).as_posix(): item.reason for item in dataset.skipped}
    assert set(reasons) == {"cats/truncated.png", "cats/zero.jpg", "cats/text.jpg", "empty"}
    assert "truncated" in reasons["cats/truncated.png"]
    assert "empty, 0 bytes" in reasons["cats/zero.jpg"]
    assert "not an image file" in reasons["cats/text.jpg"]
    assert "no readable images" in reasons["empty"]
    assert not any(str(messy_folder) in reason for reason in reasons.values())  # the path is not repeated


def test_folder_import_reports_progress_up_to_the_file_count(messy_folder):
    calls = []
    import_class_folders(messy_folder, size=16, use_cache=False, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_folder_import_needs_two_classes_with_images(tmp_path, write_image):
    root = tmp_path / "one_class"
    write_image(root / "cats" / "c.png", (1, 2, 3))
    (root / "dogs").mkdir()
    (root / "dogs" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError) as raised:
        import_class_folders(root, size=16)
    message = str(raised.value)
    assert str(root) in message and "only 'cats' has images" in message and "dogs" in message


def test_folder_import_without_class_sub_folders_says_what_is_expected(tmp_path, write_image):
    root = tmp_path / "flat"
    write_image(root / "a.png", (1, 2, 3))
    with pytest.raises(DatasetError, match=r"flat: no class sub-folders found \(expected one sub-folder per class"):
        import_class_folders(root)


def test_folder_import_of_a_missing_folder_or_a_file_fails_clearly(tmp_path, write_image):
    with pytest.raises(DatasetError, match=r"nowhere: folder not found"):
        import_class_folders(tmp_path / "nowhere")
    file = write_image(tmp_path / "photo.png", (1, 2, 3))
    with pytest.raises(DatasetError, match=r"photo\.png: is not a folder"):
        import_class_folders(file)


def test_folder_import_applies_the_resize_policy(tmp_path):
    root = tmp_path / "wide"
    for name in ("a", "b"):
        wide = np.zeros((10, 30, 3), dtype=np.uint8)
        wide[2:8, 10:20, 1] = 255  # a green block in the centre third, black border
        (root / name).mkdir(parents=True)
        Image.fromarray(wide).save(root / name / "wide.png")
    cropped = import_class_folders(root, size=10, policy="crop", use_cache=False)
    padded = import_class_folders(root, size=10, policy="pad", use_cache=False)
    assert cropped.images[0, 1, 5].eq(255).all()  # the centre square is all green across
    assert padded.images[0, 1, 0, :].eq(0).all()  # the letterbox bar takes the black border colour
    with pytest.raises(DatasetError, match="resize policy must be one of"):
        import_class_folders(root, policy="zoom")


def test_folder_import_result_does_not_depend_on_the_thread_count(messy_folder, monkeypatch):
    import cnnstudio.core.data.parallel_decode as parallel_decode

    parallel = import_class_folders(messy_folder, size=16, use_cache=False)
    monkeypatch.setattr(parallel_decode, "MAX_DECODE_THREADS", 1)
    serial = import_class_folders(messy_folder, size=16, use_cache=False)
    assert torch.equal(parallel.images, serial.images) and parallel.sources == serial.sources


def test_a_normal_class_folder_comes_first_so_scores_mean_not_normal(tmp_path):
    from PIL import Image

    from cnnstudio.host.manager import get_plugin_manager

    for name in ("forged", "Genuine", "aaa"):
        (tmp_path / name).mkdir()
        for index in range(2):
            Image.new("RGB", (12, 12), (40 * index, 90, 200)).save(tmp_path / name / f"{index}.png")
    spec = get_plugin_manager(reload=True).dataset(str(tmp_path))
    assert spec.class_names == ("Genuine", "aaa", "forged")
    assert import_class_folders(tmp_path, size=12).class_names == ["Genuine", "aaa", "forged"]
