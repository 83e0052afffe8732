"""Folders above ``in_memory_limit_mb``: images mapped from the cache file, equal to an in-memory import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.core.config import ConvLayer, ModelConfig, RunConfig, TrainingConfig
from cnnstudio.core.data.disk_images import DiskImageWriter, is_disk_backed, open_image_file
from cnnstudio.core.data.folder_cache import cache_folder
from cnnstudio.core.data.folder_import import import_class_folders
from cnnstudio.core.data.splits import channel_stats, resize_images
from cnnstudio.core.evaluate.evaluation import evaluate_tensors, targets_of
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.model.network import build_model
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.specs import HeadSpec
from cnnstudio.core.train.fit_session import prepare_fit_data
from cnnstudio.core.train.trainer import Trainer

SIZE = 16
ON_DISK = 0  # in_memory_limit_mb: always on disk
IN_MEMORY = 1 << 20  # in_memory_limit_mb: 1 TiB, always in memory


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """300 small PNGs in three classes: a bright, dark or striped square on noise, of varied sizes."""
    root = tmp_path_factory.mktemp("large") / "shapes"
    rng = np.random.default_rng(0)
    for index in range(300):
        label = index % 3
        width, height = int(rng.integers(12, 24)), int(rng.integers(12, 24))
        pixels = rng.integers(60, 190, (height, width, 3), dtype=np.uint8)
        pixels[height // 4 : -height // 4, width // 4 : -width // 4] = (230, 30, 120)[label]
        if label == 2:
            pixels[::2] = 0
        path = root / ("bright", "dark", "striped")[label] / f"{index:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path)
    return root


def mapped_file(tensor: torch.Tensor) -> str | None:
    """The file /proc/self/maps says ``tensor``'s first byte lives in (None: anonymous memory)."""
    address = tensor.data_ptr()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        low, high = (int(part, 16) for part in fields[0].split("-"))
        if low <= address < high:
            return fields[5].strip() if len(fields) > 5 and fields[5].startswith("/") else None
    return None


def resident_kib(path: Path) -> int:
    """Resident KiB of this process's maps of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(maxsplit=1)[0] and not line.split(maxsplit=1)[0].endswith(":"):
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_a_folder_above_the_limit_is_mapped_from_its_cache_file(folder):
    in_memory = import_class_folders(folder, size=SIZE, in_memory_limit_mb=IN_MEMORY, use_cache=False)
    on_disk = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    images_file = cache_folder(folder, SIZE, "pad") / "images.safetensors"
    assert mapped_file(on_disk.images) == str(images_file) and is_disk_backed(on_disk.images)
    assert mapped_file(in_memory.images) is None and not is_disk_backed(in_memory.images)
    assert on_disk.images.shape == (300, 3, SIZE, SIZE)
    assert torch.equal(on_disk.images, in_memory.images)
    assert on_disk.labels.tolist() == in_memory.labels.tolist() and on_disk.sources == in_memory.sources
    assert on_disk.class_names == ["bright", "dark", "striped"]


def test_the_default_limit_keeps_a_small_folder_in_memory(folder):
    imageset = import_class_folders(folder, size=SIZE)
    assert not is_disk_backed(imageset.images)


def test_reopening_maps_the_same_cache_file_and_decodes_nothing(folder, decode_counter):
    first = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    images_file = cache_folder(folder, SIZE, "pad") / "images.safetensors"
    written = images_file.stat()
    decode_counter.clear()
    again = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    assert decode_counter == []
    assert (images_file.stat().st_ino, images_file.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert mapped_file(again.images) == str(images_file) and torch.equal(first.images, again.images)
    in_memory = import_class_folders(folder, size=SIZE, in_memory_limit_mb=IN_MEMORY)  # the same cache, read in
    assert decode_counter == [] and not is_disk_backed(in_memory.images)
    assert torch.equal(in_memory.images, first.images)


@pytest.mark.parametrize("damage", ["truncated", "garbage header", "garbage file"])
def test_a_damaged_cache_file_is_rebuilt_without_an_error(folder, decode_counter, damage):
    expected = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    images_file = cache_folder(folder, SIZE, "pad") / "images.safetensors"
    data = images_file.read_bytes()
    images_file.unlink()  # the import above keeps its own map of the old file
    if damage == "truncated":
        images_file.write_bytes(data[: len(data) // 2])
    elif damage == "garbage header":
        images_file.write_bytes(b"\xff" * 64 + data[64:])
    else:
        images_file.write_bytes(b"\x00garbage{")
    decode_counter.clear()
    rebuilt = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    assert len(decode_counter) == 300
    assert is_disk_backed(rebuilt.images) and torch.equal(rebuilt.images, expected.images)
    assert open_image_file(images_file)[0].shape == (300, 3, SIZE, SIZE)


def test_without_the_cache_the_images_go_to_an_unnamed_scratch_file(folder):
    imageset = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK, use_cache=False)
    assert is_disk_backed(imageset.images)
    assert not cache_folder(folder, SIZE, "pad").exists()
    assert "(deleted)" in (mapped_file(imageset.images) or "")  # a file without a name, gone with the process


def test_subsets_resizing_and_statistics_match_the_in_memory_ones(folder):
    disk = import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK)
    memory = import_class_folders(folder, size=SIZE, in_memory_limit_mb=IN_MEMORY)
    picked = torch.tensor([299, 3, 150, 7, 7, 42])
    part = disk.subset(picked)
    assert is_disk_backed(part.images) and torch.equal(part.images, memory.subset(picked).images)
    assert part.labels.tolist() == memory.labels[picked].tolist()
    run = disk.subset(torch.arange(10, 60))
    assert run.images.data_ptr() == disk.images[10].data_ptr()  # a view: nothing copied
    for a, b in zip(channel_stats(disk.images), channel_stats(memory.images)):
        assert torch.equal(a, b)
    resized, _, _ = resize_images(disk.images, 12)
    assert is_disk_backed(resized) and torch.equal(resized, resize_images(memory.images, 12)[0])
    assert resize_images(disk.images, SIZE)[0] is disk.images


def test_a_full_scan_leaves_few_pages_resident(tmp_path):
    root = tmp_path / "many"
    for index in range(2000):
        path = root / ("a", "b")[index % 2] / f"{index}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), (index % 256, index // 8 % 256, 9)).save(path)
    imageset = import_class_folders(root, size=32, in_memory_limit_mb=ON_DISK)
    images_file = cache_folder(root, 32, "pad") / "images.safetensors"
    channel_stats(imageset.images)  # reads all 6 MiB, with pread: the map stays empty
    assert images_file.stat().st_size > 6_000_000
    assert resident_kib(images_file) < 2048


def test_gathering_random_rows_maps_only_a_few_pages_each(tmp_path):
    writer = DiskImageWriter(64, tmp_path / "rows.safetensors")
    for seed in range(8):
        writer.append(torch.randint(0, 256, (1000, 3, 64, 64), generator=torch.Generator().manual_seed(seed),
                                    dtype=torch.uint8))
    images = writer.finish()  # 8,000 rows of 12 KiB: 94 MiB
    rows = images[torch.randperm(8000, generator=torch.Generator().manual_seed(0))[:64]]
    assert rows.shape == (64, 3, 64, 64)
    # A row is 3 pages; whole 2 MiB page-cache folios mapped per row would be 128 MiB.
    assert resident_kib(tmp_path / "rows.safetensors") < 64 * 128


def tiny_config(epochs: int = 1) -> RunConfig:
    model = ModelConfig(preset="tiny", input_size=SIZE, conv_layers=[ConvLayer(4, pool=True), ConvLayer(8, pool=True)],
                        global_pool="avg")
    training = TrainingConfig(epochs=epochs, batch_size=32, lr=0.01, val_fraction=0.2, test_fraction=0.1)
    return RunConfig(model=model, training=training, seed=5, device="cpu", threads=1).validate()


def test_fit_data_and_evaluation_match_the_in_memory_ones(folder):
    disk = prepare_fit_data(import_class_folders(folder, size=SIZE, in_memory_limit_mb=ON_DISK), tiny_config())
    memory = prepare_fit_data(import_class_folders(folder, size=SIZE, in_memory_limit_mb=IN_MEMORY), tiny_config())
    for split in ("train", "val", "test"):
        assert is_disk_backed(getattr(disk, split).images)
        assert torch.equal(getattr(disk, split).images, getattr(memory, split).images)
    assert torch.equal(disk.mean, memory.mean) and torch.equal(disk.std, memory.std)
    torch.manual_seed(0)
    model = build_model(tiny_config().model, build_classification_head, 3, {}, disk.mean, disk.std)
    on_disk = evaluate_tensors(model, disk.val.images, targets_of(disk.val), batch_size=16)
    in_memory = evaluate_tensors(model, memory.val.images, targets_of(memory.val), batch_size=16)
    assert on_disk.loss == in_memory.loss and on_disk.metrics == in_memory.metrics
    assert torch.equal(on_disk.predictions["probabilities"], in_memory.predictions["probabilities"])


def test_training_on_disk_gives_the_same_weights_as_in_memory(folder, tmp_path):
    head = HeadSpec("classification", "Classification", build_classification_head, ("classification",))
    weights = {}
    for name, limit in (("disk", ON_DISK), ("memory", IN_MEMORY)):
        imageset = import_class_folders(folder, size=SIZE, in_memory_limit_mb=limit)
        Trainer(tiny_config(epochs=2), imageset, head, tmp_path / name).fit()
        weights[name] = RunFolder(tmp_path / name).load_weights("last")
    assert weights["disk"].keys() == weights["memory"].keys()
    for key, value in weights["disk"].items():
        assert torch.equal(value, weights["memory"][key]), key


def test_the_limit_option_reads_auto_and_mebibytes(class_folders_plugin, class_folder):
    from cnnstudio.core.errors import ConfigError

    spec = class_folders_plugin.cnnstudio_open_folder(class_folder)
    assert spec.resolve_options()["in_memory_limit_mb"] == "auto"
    assert spec.resolve_options({"in_memory_limit_mb": "512"})["in_memory_limit_mb"] == 512
    assert spec.resolve_options({"in_memory_limit_mb": 0})["in_memory_limit_mb"] == 0
    for bad in (-1, "lots", 1.5):
        with pytest.raises(ConfigError, match="in_memory_limit_mb"):
            spec.resolve_options({"in_memory_limit_mb": bad})
    loaded = spec.load(spec.resolve_options({"in_memory_limit_mb": 0, "size": 16}))
    assert is_disk_backed(loaded.images) and loaded.images.shape == (6, 3, 16, 16)


def test_the_memory_check_does_not_count_images_kept_on_disk(class_folders_plugin, class_folder):
    from cnnstudio.core.model.memory_budget import (
        DISK,
        MEMORY,
        check_dataset_fits,
        check_memory,
        dataset_on_disk,
        estimate_training_memory,
    )

    spec = class_folders_plugin.cnnstudio_open_folder(class_folder)
    options = spec.resolve_options({"size": 64, "in_memory_limit_mb": 100})
    assert dataset_on_disk(spec, options, 200_000, 64, available=1 << 30)
    assert not dataset_on_disk(spec, spec.resolve_options({"size": 64, "in_memory_limit_mb": 100}), 100, 64)
    config = RunConfig()
    estimate = estimate_training_memory(config, 200_000, 64, on_disk=True)
    assert estimate.part("dataset").place == DISK and estimate.part("copies").place == DISK
    assert estimate.bytes_in(MEMORY) < 1 << 30 < estimate.bytes_in(DISK)
    assert check_memory(estimate, 2 << 30) is None
    assert check_memory(estimate_training_memory(config, 200_000, 64), 2 << 30).severity == "error"
    check_dataset_fits(spec, {**options, "count": 200_000}, available=1 << 30)  # no refusal: it goes to disk
    assert "on disk" in estimate.line()
