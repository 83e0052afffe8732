"""`cnnstudio evaluate` and `predict` on a trained run, including damaged runs and bad images."""

from __future__ import annotations

import json
import shutil

from cnnstudio.cli.main import main


def test_evaluate_prints_accuracy_confusion_matrix_per_class_scores_and_auc(trained_run, capsys):
    assert main(["evaluate", str(trained_run.run_dir), "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion matrix" in out
    assert "precision" in out and "recall" in out and "F1" in out and "support" in out
    assert "ROC AUC" in out  # retail.products has two classes


def test_evaluate_json_matches_the_confusion_matrix(trained_run, capsys):
    assert main(["evaluate", str(trained_run.run_dir), "--split", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    confusion = report["confusion"]
    assert report["num_images"] == 200 == sum(map(sum, confusion))
    correct = sum(confusion[i][i] for i in range(len(confusion)))
    assert abs(report["accuracy"] - correct / 200) < 1e-9


def test_predict_prints_a_class_and_probabilities_per_image(trained_run, sample_png, capsys):
    assert main(["predict", str(trained_run.run_dir), str(sample_png), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (prediction,) = result["predictions"]
    assert prediction["file"] == str(sample_png)
    assert prediction["class"] in prediction["probabilities"]
    assert abs(sum(prediction["probabilities"].values()) - 1.0) < 1e-4


def test_predict_reports_a_broken_image_on_its_own_line_and_still_predicts_the_others(trained_run, sample_png, tmp_path, capsys):
    broken = tmp_path / "scan.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    code = main(["predict", str(trained_run.run_dir), str(broken), str(sample_png)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.startswith(f"{sample_png}: ")  # the good image is still classified
    error_lines = captured.err.strip().splitlines()
    assert len(error_lines) == 1 and error_lines[0].startswith("cnnstudio: error: ") and "scan.png" in error_lines[0]
    assert "Traceback" not in captured.err


def test_predict_and_evaluate_on_a_run_with_truncated_weights_give_a_readable_error(trained_run, sample_png, tmp_path, run_cli, capsys):
    damaged = tmp_path / "damaged run"
    shutil.copytree(trained_run.run_dir, damaged)
    # Without the checkpoint's state (weights copied on their own) nothing can rebuild them.
    shutil.rmtree(damaged / "state")
    for weights in (damaged / "weights").glob("*.safetensors"):
        weights.write_bytes(weights.read_bytes()[:100])
    process = run_cli(["predict", str(damaged), str(sample_png)], tmp_path)  # a real process: real exit code
    assert process.returncode == 2, process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnstudio: error: ") and "damaged run" in lines[0]
    assert "Traceback" not in process.stderr
    assert main(["evaluate", str(damaged)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnstudio: error: ") and "damaged run" in err and "\n" not in err


def test_predict_on_a_folder_that_is_not_a_run_is_a_readable_error(tmp_path, sample_png, capsys):
    assert main(["predict", str(tmp_path), str(sample_png)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnnstudio: error: ") and "Traceback" not in err
