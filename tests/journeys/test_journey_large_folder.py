"""Journey: a folder too large for the memory share it may take, kept on disk by its option, and trained."""

from __future__ import annotations

from pathlib import Path

from journey_driver import LOAD_TIMEOUT_MS, Studio
from user_photos import class_folder_tree

from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.disk_images import is_disk_backed
from cnnstudio.core.data.folder_cache import cache_folder


def test_a_folder_above_its_memory_limit_loads_from_disk_and_trains(qtbot, monkeypatch, tmp_path):
    photos = class_folder_tree(tmp_path / "Grosse collection")
    studio = Studio.open(qtbot, monkeypatch, tmp_path / "home")
    window = studio.window

    # Ctrl+O opens the folder in memory (it is small); its form offers the memory limit, "auto".
    studio.open_folder(photos)
    assert not is_disk_backed(studio.controller.imageset.images)
    panel = window.dataset_panel
    limit = panel.form.editors["in_memory_limit_mb"]
    assert limit.text() == "auto"

    # The person types 0 (always on disk) and presses Load: the images are the cache file, mapped.
    limit.setFocus()
    limit.selectAll()
    qtbot.keyClicks(limit, "0")
    with qtbot.waitSignal(studio.controller.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        studio.click(panel.load_button)
    imageset = studio.controller.imageset
    assert is_disk_backed(imageset.images) and len(imageset) == 48
    size = int(imageset.images.shape[-1])
    assert (cache_folder(photos, size, "pad") / "images.safetensors").is_file()
    studio.snapshot("journey_large_folder_data")

    # Training (in its own process) reads the same option from the run's config and finishes.
    run_dir = Path(studio.train(epochs=1))
    config = RunConfig.load(run_dir / "config.toml")
    assert str(config.dataset.options["in_memory_limit_mb"]) == "0"
    assert (run_dir / "weights" / "best.safetensors").exists()
    assert not studio.messages, studio.messages
