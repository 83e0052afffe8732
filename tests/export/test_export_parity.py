"""Exports of classifiers (five and two classes) and defect runs (the default defect map, whose decoder
reads the backbone's skip features, and the coarse heat map): parity, the saved threshold, any input size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from cnnstudio.app.export_job import export_run
from cnnstudio.app.runner import load_run_model
from cnnstudio.core.evaluate.threshold import set_run_threshold
from cnnstudio.core.export.exported_model import ExportableModel
from cnnstudio.core.runs.folder import RunFolder
from tests.export.export_helpers import hwc, train_tiny, validation_images

THRESHOLD = 0.37
TWO_CLASS_THRESHOLD = 0.63


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    classifier = train_tiny(tmp_path_factory.mktemp("export_retail"), "retail.products", options={"classes": "5"})
    two_class = train_tiny(tmp_path_factory.mktemp("export_retail2"), "retail.products")
    set_run_threshold(two_class, TWO_CLASS_THRESHOLD)
    defects = train_tiny(tmp_path_factory.mktemp("export_surfaces"), "manufacturing.surfaces", count=160)
    set_run_threshold(defects, THRESHOLD)
    coarse = train_tiny(tmp_path_factory.mktemp("export_coarse"), "manufacturing.surfaces", count=160, head="heatmap")
    set_run_threshold(coarse, THRESHOLD)
    return {"classification": classifier, "two_class": two_class, "heatmap": defects, "coarse_heatmap": coarse}


@pytest.fixture(scope="module")
def exported(runs) -> dict[tuple[str, str], tuple[Path, object]]:
    return {(kind, fmt): export_run(run, fmt) for kind, run in runs.items() for fmt in ("onnx", "torchscript")}


def run_artifact(path: Path, images_hwc: torch.Tensor) -> list[torch.Tensor]:
    if path.suffix == ".onnx":
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return [torch.from_numpy(v) for v in session.run(None, {"images": images_hwc.numpy()})]
    return list(torch.jit.load(str(path))(images_hwc))


@pytest.mark.parametrize("kind", ["classification", "two_class", "heatmap", "coarse_heatmap"])
@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_parity_passes_and_the_report_is_written_next_to_the_file(exported, runs, kind, fmt) -> None:
    path, report = exported[(kind, fmt)]
    assert path == runs[kind] / "export" / ("model.onnx" if fmt == "onnx" else "model.pt")
    assert path.is_file()
    assert report.passed, report.text()
    assert report.max_abs_logit_diff <= 1e-4 and report.decisions_agreeing == report.num_images
    data = json.loads(path.with_name(path.name + ".parity.json").read_text(encoding="utf-8"))
    assert data["passed"] is True and data["format"] == fmt and data["num_images"] == report.num_images
    assert data["model"]["class_names"] == load_run_model(runs[kind]).class_names
    assert data["model"]["input_size"] == 16
    assert data["model"]["outputs"][:3] == ["logits", "probabilities", "decision"]
    assert "PASSED" in report.text()
    head_id = RunFolder(runs[kind]).read_info()["head_id"]
    assert head_id == {"heatmap": "defect_map", "coarse_heatmap": "heatmap"}.get(kind, "classification")
    if kind in ("heatmap", "coarse_heatmap"):
        assert data["model"]["threshold"] == pytest.approx(THRESHOLD)
        assert data["model"]["outputs"][3:] == ["score", "heatmap"]
    elif kind == "two_class":
        assert data["model"]["threshold"] == pytest.approx(TWO_CLASS_THRESHOLD)
        assert data["model"]["outputs"][3:] == ["score"]
    else:
        assert data["model"]["threshold"] is None and len(data["model"]["outputs"]) == 3


def test_parity_uses_validation_images_topped_up_to_200_and_says_so(exported, runs) -> None:
    _, report = exported[("classification", "onnx")]
    # 120 images in all: validation is smaller than 200, so all training images are added (not the test split).
    images, _ = validation_images(runs["classification"])
    sizes = RunFolder(runs["classification"]).read_info()["split_sizes"]
    assert report.num_images == 120 - sizes["test"] == sizes["val"] + sizes["train"] and len(images) < report.num_images
    assert "validation images +" in report.input_description and "training images" in report.input_description


@pytest.mark.parametrize(("kind", "saved"), [("heatmap", THRESHOLD), ("two_class", TWO_CLASS_THRESHOLD)])
@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_exported_decision_applies_the_saved_threshold_like_predict(exported, runs, fmt, kind, saved) -> None:
    path, _ = exported[(kind, fmt)]
    images, _ = validation_images(runs[kind])
    outputs = run_artifact(path, hwc(images))
    names = ["logits", "probabilities", "decision", "score", "heatmap"]
    result = dict(zip(names, outputs))
    threshold = np.float32(saved)
    decision = result["decision"].numpy()
    assert decision.dtype == np.int64 and decision.shape == (len(images),)
    np.testing.assert_array_equal(decision, (result["score"].numpy() >= threshold).astype(np.int64))
    predicted = [entry["index"] for entry in load_run_model(runs[kind]).predict_images(images)]
    np.testing.assert_array_equal(decision, np.array(predicted))
    if kind == "heatmap":
        assert result["heatmap"].shape[0] == len(images) and result["heatmap"].ndim == 3
    else:  # the score of a two-class classifier is p(class 1)
        np.testing.assert_allclose(result["score"].numpy(), result["probabilities"].numpy()[:, 1], atol=1e-6)


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_exported_model_takes_other_image_sizes(exported, runs, fmt) -> None:
    path, _ = exported[("classification", fmt)]
    reference = ExportableModel(load_run_model(runs["classification"])).eval()
    for shape in [(3, 40, 28), (1, 16, 16), (2, 9, 50)]:
        images = torch.randint(0, 256, (*shape, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(sum(shape)))
        actual = run_artifact(path, images)
        with torch.no_grad():
            expected = reference(images)
        assert actual[0].shape == (shape[0], len(reference.core.model.head.fc.bias))
        assert (actual[0] - expected[0]).abs().max() <= 1e-4
        assert torch.equal(actual[2], expected[2])


def test_wrapper_on_a_larger_image_matches_predict_images(runs) -> None:
    trained = load_run_model(runs["classification"])
    images, _ = validation_images(runs["classification"])  # 24x24, the model takes 16x16
    with torch.no_grad():
        probabilities = ExportableModel(trained).eval()(hwc(images))[1]
    expected = torch.tensor([[entry["probabilities"][name] for name in trained.class_names]
                             for entry in trained.predict_images(images)])
    # predict_images rounds its uint8 resize to whole grey levels; the wrapper does not.
    assert (probabilities - expected).abs().max() < 0.02
