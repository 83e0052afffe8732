"""Journey: a flat folder of unlabelled camera JPEGs, labelled into two classes with the keyboard in the
Label tab, saved as class folders, reopened after a restart, trained from the app and from the CLI,
one mistake fixed and the change counted when the next run starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from journey_driver import Studio
from label_hands import answer_next_input, saved_labels, wait_for_saved
from user_photos import crops, photo

from cnnstudio.core.labels.label_file import LABEL_FILE_NAME


def unsorted_photos(root: Path, count: int = 20) -> dict[str, str]:
    """A flat folder of camera JPEGs, cats and coffee cups mixed; name -> what it shows."""
    rng = np.random.default_rng(3)
    root.mkdir(parents=True)
    shown = {"cat": crops(photo("chelsea"), count // 2, 200, rng, sizes=(160, 120)),
             "coffee": crops(photo("coffee"), count - count // 2, 200, rng, sizes=(160, 120))}
    order = rng.permutation(["cat"] * (count // 2) + ["coffee"] * (count - count // 2))
    truth = {}
    for index, what in enumerate(order):
        name = f"IMG_{index + 1:04d}.JPG"
        shown[str(what)].pop().save(root / name, quality=90)
        truth[name] = str(what)
    return truth


def test_label_a_flat_folder_into_classes_train_it_and_fix_a_mistake(qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "Unsorted photos"
    truth = unsorted_photos(folder)
    originals = {name: (folder / name).read_bytes() for name in truth}
    home = tmp_path / "home"
    studio = Studio.open(qtbot, monkeypatch, home)
    window, view = studio.window, studio.window.label_view

    # Ctrl+O on a folder with no sub-folders: it cannot train yet, so the window goes to the Label tab.
    studio.dialog_answers.append(str(folder))
    with qtbot.waitSignal(studio.controller.dataset_failed, timeout=60_000) as failed:
        studio.press("Ctrl+O")
    assert "no labels yet" in failed.args[1] and "Label tab" in failed.args[1]
    studio.wait_for(lambda: window.tabs.currentWidget() is view)
    assert view.labels is not None and sorted(view.labels.images) == sorted(truth)
    assert "none labelled yet" in view.status.text()

    # Two classes, made with Ctrl+N and typed names.
    for name in ("cat", "coffee"):
        answer_next_input(qtbot, name)
        studio.press("Ctrl+N", view.canvas)
        studio.wait_for(lambda name=name: name in view.labels.class_names)
    assert view.labels.class_names == ["cat", "coffee"]

    # The number keys label each photo and move on to the next one.
    assert view.current == view.rows[0]
    for _ in range(len(truth)):
        key = "1" if truth[view.current] == "cat" else "2"
        studio.press(key, view.canvas)
    saved = wait_for_saved(qtbot, folder, lambda images: len(images) == 20)
    assert {name: entry["class"] for name, entry in saved["images"].items()} == {
        name: what for name, what in truth.items()}
    assert "20 of 20 images labelled" in view.classes.progress.text()

    # Undo takes the last label back, on screen and on disk; redo restores it.
    last = view.rows[-1]
    studio.press("Ctrl+Z", view.canvas)
    wait_for_saved(qtbot, folder, lambda images: last not in images)
    assert view.labels.get(last).status == "unlabelled"
    studio.press("Ctrl+Y", view.canvas)
    wait_for_saved(qtbot, folder, lambda images: images.get(last, {}).get("class") == truth[last])

    # Save as class folders: links in labelled-class-folders/CLASS/, the photos themselves untouched.
    studio.choose(view.toolbar.layout_box, "Class folders (labelled-class-folders/CLASS/)")
    studio.click(view.toolbar.save)
    layout = folder / "labelled-class-folders"
    for name, what in truth.items():
        assert (layout / what / name).read_bytes() == originals[name]
        assert (folder / name).read_bytes() == originals[name]
    assert sorted(p.name for p in layout.iterdir() if p.is_dir()) == ["cat", "coffee"]
    studio.snapshot("journey_label_classes")

    # Close the app and open it again: the folder, its classes and every label come back.
    studio.close()
    studio = Studio.open(qtbot, monkeypatch, home, wait_for_dataset=False)
    window, view = studio.window, studio.window.label_view
    studio.wait_for(lambda: view.labels is not None and len(view.labels.counted()) == 20)
    assert view.labels.root == folder
    assert {name: label.class_name for name, label in view.labels.counted().items()} == truth
    studio.wait_for(lambda: studio.controller.spec is not None
                    and studio.controller.spec.id == f"folder:{folder}")
    assert studio.controller.spec.class_names == ("cat", "coffee")

    # Train from the app on the labels; the run keeps the labels it learnt from.
    run_dir = Path(studio.train(epochs=2))
    assert json.loads((run_dir / "labels.json").read_text(encoding="utf-8"))["images"] == saved_labels(folder)["images"]

    # A mistake, fixed from the Label tab: the next run says what changed before it trains.
    studio.tab(view)
    view.show_image("IMG_0001.JPG")
    wrong = "2" if truth["IMG_0001.JPG"] == "cat" else "1"
    studio.press(wrong, view.canvas)
    wait_for_saved(qtbot, folder, lambda images: images["IMG_0001.JPG"]["class"] != truth["IMG_0001.JPG"])
    second = Path(studio.train(epochs=1))
    assert "1 relabelled" in window.train_view.advice_label.text()
    assert json.loads((second / "labels.json").read_text())["images"]["IMG_0001.JPG"]["class"] != \
        truth["IMG_0001.JPG"]

    # The CLI trains on the same folder as it is on disk.
    result = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "train", "--dataset", str(folder), "--epochs", "1", "--json",
         "--no-progress"], capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stderr
    cli_run = Path(json.loads(result.stdout.strip().splitlines()[-1])["run_dir"])
    assert (cli_run / "labels.json").exists()
    assert (folder / LABEL_FILE_NAME).exists() and all((folder / n).read_bytes() == b for n, b in originals.items())
