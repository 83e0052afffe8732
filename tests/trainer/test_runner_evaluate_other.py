"""Evaluating a run on another folder loads that folder the way the run's own data was loaded."""

from __future__ import annotations

import shutil
from dataclasses import replace

from PIL import Image
from trainer_helpers import tiny_config

from cnnstudio.app.runner import evaluate_run, train_run


def write_folder(root, count: int = 24) -> None:
    for label, colour in (("bright", 230), ("dark", 30)):
        (root / label).mkdir(parents=True)
        for index in range(count):
            image = Image.new("RGB", (50, 40), (128, 128, 128))
            image.paste((colour, colour, colour), (10 + index % 7, 8 + index % 5, 30 + index % 7, 28 + index % 5))
            image.save(root / label / f"{index}.png")


def test_a_copy_of_the_runs_folder_scores_exactly_like_the_run_itself(tmp_path) -> None:
    own, copy = tmp_path / "own", tmp_path / "copy"
    write_folder(own)
    shutil.copytree(own, copy)
    config = tiny_config(epochs=1, test_fraction=0.0)
    # The import size (20) differs from the import default (64): a copy loaded at 64 would differ.
    config = replace(config, dataset=replace(config.dataset, id=str(own), options={"size": 20, "resize": "stretch"}))
    finished = train_run(config, run_dir=tmp_path / "run")
    mine = evaluate_run(finished.run_dir, split="all")
    other = evaluate_run(finished.run_dir, dataset=str(copy), split="all")
    assert other.probabilities == mine.probabilities
