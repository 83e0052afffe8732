"""A run of the boxes head (every object): predict lists each box with its score, in the file's own pixels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from tiny_runs import train_tiny_run

from cnnstudio.cli.format import format_prediction
from cnnstudio.cli.main import main
from cnnstudio.core.data.image_io import fit_geometry
from cnnstudio.core.evaluate.box_entries import boxes_in_file


@pytest.fixture(scope="module")
def boxes_run(tmp_path_factory) -> Path:
    """marketing.logos at 32 px, trained a few epochs with the boxes head."""
    base = tmp_path_factory.mktemp("every_box")
    return train_tiny_run(base, "marketing.logos", seed=1, count=160, size=32, epochs=3, cli_args=("--head", "boxes"))


def test_boxes_map_back_to_the_files_pixels_best_first():
    # A 96 x 64 file stretched to a 32 px square: x scaled by 3, y by 2.
    geometry = fit_geometry(64, 96, 32, "stretch")
    predictions = {
        "instance_boxes": torch.tensor([[[4.0, 8, 12, 16], [20, 0, 34, 10], [0, 0, 0, 0]]]),
        "instance_scores": torch.tensor([[0.9, 0.2, 0.0]]),
        "instance_classes": torch.tensor([[1, 1, 0]]),
    }
    boxes = boxes_in_file(predictions, 0, geometry, (64, 96), ["no_logo", "logo"])
    assert [b["class"] for b in boxes] == ["logo", "logo"] and [b["score"] for b in boxes] == [0.9, 0.2]
    assert boxes[0]["box"] == pytest.approx([12, 16, 36, 32])
    assert boxes[1]["box"] == pytest.approx([60, 0, 96, 20])  # clipped to the picture


def test_text_lists_the_boxes_at_the_threshold_and_counts_the_weaker_ones():
    entry = {"file": "a.png", "class": "logo", "index": 1, "score": 0.9, "threshold": 0.5,
             "probabilities": {"no_logo": 0.1, "logo": 0.9},
             "boxes": [{"box": [12, 8, 36, 30], "score": 0.9, "class": "logo"},
                       {"box": [60, 0, 96, 14], "score": 0.7, "class": "logo"},
                       {"box": [1, 1, 5, 5], "score": 0.08, "class": "logo"}]}
    lines = format_prediction(entry).splitlines()
    assert lines[0].startswith("a.png: logo, score 0.900 >= threshold 0.500")
    assert lines[1:] == ["  logo 0.900: (12, 8)-(36, 30) px", "  logo 0.700: (60, 0)-(96, 14) px",
                         "  (1 weaker below the threshold, down to 0.080; --json lists them)"]


def test_predict_json_gives_every_box_in_file_pixels_with_the_saved_threshold(boxes_run, tmp_path, capsys):
    info = json.loads((boxes_run / "run.json").read_text())
    assert info["head_id"] == "boxes"
    image = tmp_path / "scene.png"
    Image.new("RGB", (96, 64), (200, 200, 190)).save(image)
    assert main(["predict", str(boxes_run), str(image), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    assert entry["threshold"] == pytest.approx(0.5)
    assert isinstance(entry["boxes"], list)
    scores = [b["score"] for b in entry["boxes"]]
    assert scores == sorted(scores, reverse=True) and all(0.05 <= s <= 1 for s in scores)
    for found in entry["boxes"]:
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 <= x1 <= 96 and 0 <= y0 <= y1 <= 64 and found["class"] == "logo"


def test_predict_text_lists_a_line_per_box_at_a_low_threshold(boxes_run, tmp_path, capsys):
    image = tmp_path / "scene.png"
    pixels = Image.new("RGB", (64, 64), (210, 210, 200))
    pixels.paste((30, 30, 30), (8, 8, 24, 24))
    pixels.save(image)
    assert main(["predict", str(boxes_run), str(image), "--json", "--threshold", "0.06"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    strong = [b for b in entry["boxes"] if b["score"] >= 0.06]
    assert main(["predict", str(boxes_run), str(image), "--threshold", "0.06"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert ">= threshold 0.060" in lines[0] or "< threshold 0.060" in lines[0]
    assert len([line for line in lines[1:] if line.startswith("  logo ")]) == len(strong)


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_a_boxes_run_exports_every_box_and_passes_parity(boxes_run, tmp_path, capsys, fmt):
    out = tmp_path / f"model.{fmt}"
    assert main(["export", str(boxes_run), "--format", fmt, "--out", str(out), "--json"]) == 0
    report = json.loads(Path(f"{out}.parity.json").read_text())
    assert report["passed"] is True
    diffs = report["max_abs_output_diffs"]
    for name in ("boxes", "instance_boxes", "instance_scores", "instance_classes"):  # NMS inside the graph
        assert name in report["model"]["outputs"] and diffs[name] < 1e-3, (name, diffs)
