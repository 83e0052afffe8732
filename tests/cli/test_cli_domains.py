"""Every business domain through the CLI: default heads, --head, predict's score/threshold/box lines, thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from tiny_runs import tiny_config_toml, train_tiny_run

from cnnstudio.cli.main import main

DOMAIN_SETTINGS = {"seed": 1, "count": 120, "size": 32}  # 120 images of 32 px, one epoch
DEFAULT_HEADS = {"manufacturing.surfaces": "defect_map", "documents.forgery": "heatmap", "marketing.logos": "boxes"}


def train(tmp_path: Path, capsys: pytest.CaptureFixture, dataset: str, *extra: str) -> tuple[int, dict, str]:
    config = tmp_path / "domain.toml"
    config.write_text(tiny_config_toml(dataset, **DOMAIN_SETTINGS), encoding="utf-8")
    code = main(["train", "--config", str(config), "--dataset", dataset, "--out", str(tmp_path / "runs"),
                 "--json", "--no-progress", *extra])
    out, err = capsys.readouterr()
    result = json.loads(out.strip().splitlines()[-1]) if code == 0 else {}
    return code, result, err


@pytest.fixture(scope="module")
def domain_runs(tmp_path_factory) -> dict[str, Path]:
    """One tiny run per domain with its default head, trained once for the module."""
    base = tmp_path_factory.mktemp("domains")
    return {dataset: train_tiny_run(base, dataset, out=base / dataset, **DOMAIN_SETTINGS) for dataset in DEFAULT_HEADS}


def a_png(tmp_path: Path, name: str = "part.png", size: tuple[int, int] = (48, 40)) -> Path:
    path = tmp_path / name
    image = Image.new("RGB", size, (120, 120, 120))
    image.paste((240, 240, 240), (10, 10, 20, 18))
    image.save(path)
    return path


@pytest.mark.parametrize("dataset", sorted(DEFAULT_HEADS))
def test_each_domain_trains_with_its_matching_head_by_default(domain_runs, dataset) -> None:
    info = json.loads((domain_runs[dataset] / "run.json").read_text())
    assert info["head_id"] == DEFAULT_HEADS[dataset]
    assert info["dataset_task"] in ("defect", "detection")
    assert (domain_runs[dataset] / "weights" / "best.safetensors").exists()


def test_another_compatible_head_can_be_chosen(tmp_path, capsys) -> None:
    code, result, err = train(tmp_path, capsys, "manufacturing.surfaces", "--head", "classification")
    assert code == 0, err
    assert json.loads((Path(result["run_dir"]) / "run.json").read_text())["head_id"] == "classification"


def test_an_incompatible_head_is_refused_with_the_heads_that_fit(tmp_path, capsys) -> None:
    code, _, err = train(tmp_path, capsys, "manufacturing.surfaces", "--head", "box")
    assert code == 2
    assert "head.id 'box' cannot serve a 'defect' dataset" in err
    assert "heatmap" in err and "classification" in err
    assert not list((tmp_path / "runs").glob("*")), "nothing is written for a refused run"


def test_predict_prints_the_defect_score_against_the_threshold(domain_runs, tmp_path, capsys) -> None:
    image = a_png(tmp_path)
    assert main(["predict", str(domain_runs["manufacturing.surfaces"]), str(image)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{image}: ")
    assert "threshold 0.500" in line and ("score" in line) and ("ok" in line)


def test_predict_json_carries_score_threshold_heatmap_and_hotspot(domain_runs, tmp_path, capsys) -> None:
    image = a_png(tmp_path)
    assert main(["predict", str(domain_runs["documents.forgery"]), str(image), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    assert 0.0 <= entry["score"] <= 1.0 and entry["threshold"] == 0.5
    assert entry["class"] == ("forged" if entry["score"] >= 0.5 else "genuine")
    assert len(entry["heatmap"]) == 8 and len(entry["heatmap"][0]) == 8  # 32 px input, two 2x pools
    x, y = entry["hotspot"]
    assert 0 <= x <= 48 and 0 <= y <= 40  # in the file's own pixels


def test_predict_prints_every_logo_box_in_the_images_own_pixels(domain_runs, tmp_path, capsys) -> None:
    image = a_png(tmp_path, "ad.png", size=(96, 64))
    # A threshold near 0 makes the one-epoch model answer "logo", and every box it kept is at or above it.
    assert main(["predict", str(domain_runs["marketing.logos"]), str(image), "--threshold", "0.001"]) == 0
    first, *box_lines = capsys.readouterr().out.strip().splitlines()
    assert ": logo, score" in first and ">= threshold 0.001" in first
    assert main(["predict", str(domain_runs["marketing.logos"]), str(image), "--threshold", "0.001", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    assert isinstance(entry["boxes"], list) and len(box_lines) == len(entry["boxes"])
    # pad policy: the 96x64 image fills the 32 px square's width; every box maps back inside the image.
    for found, line in zip(entry["boxes"], box_lines):
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 <= x1 <= 96 and 0 <= y0 <= y1 <= 64 and found["class"] == "logo"
        assert line.strip().startswith(f"logo {found['score']:.3f}: (") and line.endswith(" px")
    x0, y0, x1, y1 = entry["box"]  # the strongest cell's box, there even when no box passed the head's floor
    assert 0 <= x0 <= x1 <= 96 and 0 <= y0 <= y1 <= 64
    assert entry["box_input"][2] <= 32


def test_threshold_is_shown_set_and_then_applied_by_predict(domain_runs, tmp_path, capsys) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(domain_runs["manufacturing.surfaces"], run)
    assert main(["threshold", str(run)]) == 0
    assert "threshold 0.5000" in capsys.readouterr().out
    assert main(["threshold", str(run), "0.25"]) == 0
    capsys.readouterr()
    assert json.loads((run / "run.json").read_text())["threshold"] == 0.25
    assert main(["predict", str(run), str(a_png(tmp_path)), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    assert entry["threshold"] == 0.25
    assert entry["class"] == ("defect" if entry["score"] >= 0.25 else "ok")


def test_a_threshold_outside_0_and_1_is_refused(domain_runs, capsys) -> None:
    assert main(["threshold", str(domain_runs["manufacturing.surfaces"]), "1.5"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_a_two_class_classifier_keeps_a_threshold_that_predict_applies(trained_run, tmp_path, capsys) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run)  # two retail classes, the classification head
    assert main(["threshold", str(run)]) == 0
    assert "threshold 0.5000" in capsys.readouterr().out
    assert main(["threshold", str(run), "0.3"]) == 0
    capsys.readouterr()
    assert main(["predict", str(run), str(a_png(tmp_path)), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    assert entry["threshold"] == pytest.approx(0.3)
    assert entry["score"] == pytest.approx(entry["probabilities"]["handbag"])
    assert entry["class"] == ("handbag" if entry["score"] >= 0.3 else "shoe")


def test_a_multi_class_classifier_has_no_threshold_to_set(tmp_path, capsys) -> None:
    run = train_tiny_run(tmp_path, "retail.products", options={"classes": "5"}, count=100)
    capsys.readouterr()
    assert main(["threshold", str(run)]) == 0
    assert "no decision threshold" in capsys.readouterr().out
    assert main(["threshold", str(run), "0.3"]) == 2
    assert "has no decision threshold" in capsys.readouterr().err


def test_plugins_lists_every_domain_with_its_datasets_and_heads(capsys) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for dataset in DEFAULT_HEADS:
        assert dataset in out
    assert "heatmap" in out and "box" in out
