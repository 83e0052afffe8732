"""`cnnstudio evaluate --mistakes N` and `cnnstudio predict --gradcam DIR`: the app's why-views, headless."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from cnnstudio.app.runner import evaluate_run, load_run_model
from cnnstudio.cli.main import main
from cnnstudio.core.data.image_io import fit_image, read_image
from cnnstudio.core.evaluate.gradcam import grad_cam
from cnnstudio.core.report.colour_maps import overlay_heatmap


def test_evaluate_lists_the_worst_mistakes_highest_loss_first(trained_run, capsys) -> None:
    run = trained_run.run_dir
    report = evaluate_run(run, split="val")
    assert main(["evaluate", str(run), "--split", "val", "--mistakes", "3", "--json"]) == 0
    mistakes = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["mistakes"]
    expected = report.mistakes(3)
    assert [row["source"] for row in mistakes] == [report.sources[i] for i in expected]
    assert [row["loss"] for row in mistakes] == sorted((row["loss"] for row in mistakes), reverse=True)
    for row, position in zip(mistakes, expected):
        assert row["true"] == report.class_names[report.labels[position]] != row["predicted"]

    assert main(["evaluate", str(run), "--split", "val", "--mistakes", "2"]) == 0
    text = capsys.readouterr().out
    if expected:
        assert f"worst {min(2, len(report.mistakes()))} of {len(report.mistakes())} mistakes" in text
        assert report.sources[expected[0]] in text
    else:
        assert "no mistakes on this split" in text


def test_predict_writes_each_image_with_its_gradcam(trained_run, sample_png, tmp_path, capsys) -> None:
    run, out = trained_run.run_dir, tmp_path / "why"
    twin = tmp_path / "other" / sample_png.name  # the same file name twice must not overwrite
    twin.parent.mkdir()
    twin.write_bytes(sample_png.read_bytes())
    assert main(["predict", str(run), str(sample_png), str(twin), "--gradcam", str(out), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    paths = [entry["gradcam"] for entry in entries]
    assert len(set(paths)) == 2 and all(path.startswith(str(out)) for path in paths)

    model = load_run_model(run)
    fitted = fit_image(read_image(sample_png), model.input_size, "pad")
    heat = grad_cam(model.model, fitted[None].float() / 255, target=entries[0]["index"])[0].numpy()
    expected = overlay_heatmap(fitted.permute(1, 2, 0).numpy(), heat)
    picture = np.asarray(Image.open(paths[0]).convert("RGB"))
    scale = picture.shape[0] // model.input_size
    assert scale * model.input_size >= 256 and picture.shape[0] == scale * model.input_size
    overlay_half = picture[::scale, (model.input_size + 2) * scale::scale]
    assert np.array_equal(overlay_half, expected)
    assert np.array_equal(picture[::scale, : model.input_size * scale : scale], fitted.permute(1, 2, 0).numpy())


def test_gradcam_errors_name_the_layer_or_folder(trained_run, sample_png, tmp_path, capsys) -> None:
    run = trained_run.run_dir
    assert main(["predict", str(run), str(sample_png), "--gradcam", str(tmp_path / "why"), "--layer", "conv9"]) == 2
    err = capsys.readouterr().err
    assert "conv9" in err and "conv1" in err
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    assert main(["predict", str(run), str(sample_png), "--gradcam", str(a_file)]) == 2
    assert "notes.txt: this is a file, not a folder" in capsys.readouterr().err
    assert main(["predict", str(run), str(sample_png), "--layer", "conv1"]) == 2
    assert "--layer chooses the layer of --gradcam" in capsys.readouterr().err
