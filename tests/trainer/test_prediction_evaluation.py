"""A trained run predicting on images and files, and evaluated on a split."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from trainer_helpers import squares_imageset, tiny_config

from cnnstudio.core.errors import ConfigError, RunError
from cnnstudio.core.evaluate import metrics
from cnnstudio.core.evaluate.evaluation import evaluate
from cnnstudio.core.evaluate.prediction import load_trained_model
from cnnstudio.core.train.device import resolve_device, resolve_threads
from cnnstudio.core.train.trainer import Trainer


@pytest.fixture
def trained(tmp_path, squares, head_spec):
    run_dir = tmp_path / "run"
    Trainer(tiny_config(epochs=3), squares, head_spec, run_dir).fit()
    return load_trained_model(run_dir)


def test_predict_files_classifies_images_and_reports_a_broken_file(trained, tmp_path):
    bright = squares_imageset(2, size=40, seed=9).images[0]  # another size than training
    Image.fromarray(bright.permute(1, 2, 0).numpy()).save(tmp_path / "bright.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")

    results = trained.predict_files([tmp_path / "bright.png", tmp_path / "broken.png"])

    assert results[0]["class"] == "bright" and results[0]["index"] == 0
    assert set(results[0]["probabilities"]) == {"bright", "dark"}
    assert sum(results[0]["probabilities"].values()) == pytest.approx(1.0)
    assert results[1]["file"].endswith("broken.png") and "broken.png" in results[1]["error"]
    assert "class" not in results[1]


def test_predict_images_matches_labels_on_training_like_images(trained):
    images = squares_imageset(8, size=16, seed=11)
    predicted = [r["index"] for r in trained.predict_images(images.images)]
    assert predicted == images.labels.tolist()


def test_evaluation_report_numbers_agree_with_its_confusion_matrix(trained, squares):
    report = evaluate(trained, squares, split="all")
    confusion = torch.tensor(report.confusion)
    assert report.num_images == len(squares) == int(confusion.sum())
    assert report.accuracy == pytest.approx(float(confusion.diag().sum() / confusion.sum()))
    for row, per_class in zip(confusion, report.per_class):
        assert per_class["support"] == int(row.sum())
    assert report.per_class == metrics.per_class_report(report.confusion)
    assert report.head_metrics["accuracy"] == pytest.approx(report.accuracy)
    assert report.roc_auc is not None and 0 <= report.roc_auc <= 1
    data = report.to_dict()
    assert set(data["per_class"]) == {"bright", "dark"} and len(data["probabilities"]) == len(squares)

    test_report = evaluate(trained, squares, split="test")
    assert test_report.num_images == 12  # 1/8 of 96, stratified as in training


def test_weights_that_do_not_fit_the_config_are_a_run_error(trained, tmp_path):
    config = trained.config
    config.model.conv_layers[0].out_channels = 5
    config.save(trained.run_dir / "config.toml")
    with pytest.raises(RunError, match="weights/best.safetensors does not fit the model"):
        load_trained_model(trained.run_dir)


def test_asking_for_cuda_without_a_gpu_is_a_config_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="device is 'cuda' but no CUDA GPU is available; use auto or cpu"):
        resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"
    assert resolve_threads(3) == 3 and resolve_threads(0) >= 1


def test_confusion_cells_list_their_images_worst_first(trained, squares):
    report = evaluate(trained, squares, split="all")
    assert report.predicted == [int(p) for p in torch.tensor(report.probabilities).argmax(dim=1)]
    for true_class in range(2):
        for predicted_class in range(2):
            cell = report.members(true_class, predicted_class)
            assert len(cell) == report.confusion[true_class][predicted_class]
            assert all(report.labels[i] == true_class and report.predicted[i] == predicted_class for i in cell)
            cell_losses = [report.losses[i] for i in cell]
            assert cell_losses == sorted(cell_losses, reverse=True)
    # A loss is -log p(true class): the most confident right answer has the smallest.
    for i in range(len(report.labels)):
        assert report.losses[i] == pytest.approx(-torch.tensor(report.probabilities[i][report.labels[i]]).log().item(), abs=1e-5)
    assert report.mistakes() == sorted(
        [i for i in range(len(report.labels)) if report.labels[i] != report.predicted[i]], key=lambda i: -report.losses[i]
    )
    assert report.images.shape == (len(squares), 3, 16, 16) and report.images.dtype == torch.uint8
    assert report.indices == list(range(len(squares)))
    # Two classes: the classification head scores p(class 1) against its threshold, 0.5 until one is chosen.
    assert report.threshold == 0.5
    assert list(report.scores) == pytest.approx([row[1] for row in report.probabilities], abs=1e-6)
