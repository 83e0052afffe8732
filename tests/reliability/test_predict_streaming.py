"""``cnnstudio predict`` streams: a few files decoded at a time, results printed as they come, memory
flat in the number of files; files it cannot predict are named; damaged or mismatched weights are
refused with one line naming the file (exit 2)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tiny_runs import train_tiny_run

from cnnstudio.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _isolated_env(base: Path) -> dict[str, str]:
    return {
        "CNNSTUDIO_RUNS_DIR": str(base / "runs"),
        "CNNSTUDIO_CACHE_DIR": str(base / "cache"),
        "XDG_DATA_HOME": str(base / "data"),
        "XDG_CACHE_HOME": str(base / "xdg-cache"),
        "XDG_STATE_HOME": str(base / "state"),
    }


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-class retail run, 16 px input, one epoch, trained once for the module."""
    base = tmp_path_factory.mktemp("streaming")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in _isolated_env(base).items():
            patch.setenv(key, value)
        return train_tiny_run(base, "retail.products", count=80, size=16, batch_size=32)


@pytest.fixture
def run_copy(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the run without its resumable state (a finished run copied elsewhere): what is in
    weights/ is what loads (with a state, damaged best weights would be rebuilt from it)."""
    target = tmp_path / "copied run"
    shutil.copytree(tiny_run, target)
    shutil.rmtree(target / "state", ignore_errors=True)
    return target


def _photo(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A JPEG with smooth gradients and some texture (compresses like a photo, not like noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack([x / width * 255, y / height * 255, (x + y) % 256], axis=-1)
    pixels[::7, :, :] += rng.integers(0, 40, (len(range(0, height, 7)), width, 1))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, format="JPEG", quality=85)
    return path


def _png(path: Path, colour: tuple[int, int, int] = (200, 40, 40), size: int = 24) -> Path:
    Image.new("RGB", (size, size), colour).save(path)
    return path


def _child_peak_rss(run: Path, targets: list[Path], base: Path) -> tuple[int, subprocess.CompletedProcess]:
    """Peak resident memory (bytes) of ``python -m cnnstudio predict RUN TARGETS --json`` in a child process."""
    env = dict(os.environ, **_isolated_env(base), OMP_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out_path, err_path = base / "out.txt", base / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen([sys.executable, "-m", "cnnstudio", "predict", str(run), *map(str, targets), "--json"],
                                 stdout=out, stderr=err, env=env, cwd=base)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    result = subprocess.CompletedProcess(child.args, child.returncode, out_path.read_text(), err_path.read_text())
    return usage.ru_maxrss * 1024, result


# ---- (a) memory does not grow with the number of files ------------------------------------------------

def test_peak_memory_does_not_grow_with_the_number_of_large_photos(tiny_run, tmp_path):
    """40 photos of 2400x1600 (11.5 MB each decoded) take no more memory than 4.

    Before streaming, predict decoded every file at full size first (measured 2026-12-05: 4 photos
    974 MB peak, 40 photos 1241 MB, +267 MB); streamed, both are 975 MB (importing torch alone
    takes ~630 MB).
    """
    photos = tmp_path / "photos"
    photos.mkdir()
    first = _photo(photos / "photo_00.jpg", 2400, 1600)
    files = [first] + [Path(shutil.copyfile(first, photos / f"photo_{i:02d}.jpg")) for i in range(1, 40)]

    few_peak, few = _child_peak_rss(tiny_run, files[:4], tmp_path)
    many_peak, many = _child_peak_rss(tiny_run, files, tmp_path)

    assert few.returncode == 0 and many.returncode == 0, (few.stderr, many.stderr)
    assert len(json.loads(many.stdout.strip().splitlines()[-1])["predictions"]) == 40
    growth = (many_peak - few_peak) / 2**20
    assert growth < 120, f"peak RSS grew by {growth:.0f} MB from 4 to 40 photos ({few_peak / 2**20:.0f} -> {many_peak / 2**20:.0f} MB)"


# ---- (b) results stream: a batch at a time ------------------------------------------------------------

def _counting_reader(monkeypatch: pytest.MonkeyPatch, on_read=None) -> list[Path]:
    """Record every file prediction decodes (and call ``on_read(path)`` first)."""
    from cnnstudio.core.evaluate import prediction
    read: list[Path] = []
    real = prediction.read_image_and_size

    def counting(path, draft_size=None):
        if on_read is not None:
            on_read(Path(path))
        read.append(Path(path))
        return real(path, draft_size)

    monkeypatch.setattr(prediction, "read_image_and_size", counting)
    return read


def test_the_first_prediction_comes_after_one_batch_is_decoded_not_all(tiny_run, tmp_path, monkeypatch):
    from cnnstudio.app.runner import load_run_model

    files = [_png(tmp_path / f"p{i:02d}.png", (10 * i, 40, 200 - 5 * i)) for i in range(20)]
    model = load_run_model(tiny_run)
    read = _counting_reader(monkeypatch)

    results = model.iter_predictions(files, batch_size=4)
    first = next(results)
    assert first["file"] == str(files[0]) and "class" in first
    assert len(read) == 4  # one batch, not the 20 files
    rest = list(results)
    assert [entry["file"] for entry in [first, *rest]] == [str(f) for f in files]
    # The list form gives the same entries; a different batch size may change the last float bits.
    listed = model.predict_files(files)
    assert [(e["file"], e["class"]) for e in listed] == [(e["file"], e["class"]) for e in [first, *rest]]
    for one, other in zip(listed, [first, *rest], strict=True):
        assert one["probabilities"] == pytest.approx(other["probabilities"], abs=1e-5)


@pytest.mark.parametrize("as_json", [False, True])
def test_predict_prints_results_before_it_reads_the_last_file(tiny_run, tmp_path, monkeypatch, as_json):
    from cnnstudio.core.evaluate.prediction import PREDICT_BATCH

    files = [_png(tmp_path / f"p{i:02d}.png", (10 * i, 40, 200 - 5 * i)) for i in range(PREDICT_BATCH + 3)]
    stdout = io.StringIO()
    seen_before_last: list[str] = []
    _counting_reader(monkeypatch, lambda path: path == files[-1] and seen_before_last.append(stdout.getvalue()))
    monkeypatch.setattr(sys, "stdout", stdout)

    assert main(["predict", str(tiny_run), *map(str, files), *(["--json"] if as_json else [])]) == 0

    (before,) = seen_before_last
    if as_json:
        assert before.count('"class"') == PREDICT_BATCH  # the first batch, already written
        result = json.loads(stdout.getvalue())  # still one JSON line in the end
        assert [p["file"] for p in result["predictions"]] == [str(f) for f in files]
        assert result["failed"] == 0 and result["weights"] == "best"
    else:
        assert before.splitlines()[0].startswith(f"{files[0]}: ")
        assert len(before.splitlines()) == PREDICT_BATCH
        assert len(stdout.getvalue().splitlines()) == len(files)


def test_drafted_jpeg_predictions_match_the_full_size_decode(tiny_run, tmp_path):
    """Large JPEGs are decoded at a reduced draft size; the model sees (nearly) the same input."""
    from cnnstudio.app.runner import load_run_model
    from cnnstudio.core.data.image_io import read_image

    model = load_run_model(tiny_run)
    photo = _photo(tmp_path / "wide photo.jpg", 2400, 1600, seed=3)
    (drafted,) = model.predict_files([photo])
    (full,) = model.predict_images([read_image(photo)])
    for name, p in full["probabilities"].items():
        assert drafted["probabilities"][name] == pytest.approx(p, abs=0.01)


def test_a_drafted_turned_jpeg_reports_its_whole_upright_size(tmp_path):
    from cnnstudio.core.data.image_io import read_image_and_size

    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show upright
    Image.new("RGB", (1200, 800), (90, 120, 30)).save(path, exif=exif)
    image, (height, width) = read_image_and_size(path, draft_size=64)
    assert (height, width) == (1200, 800)  # upright: portrait
    assert image.shape[1] > image.shape[2] and image.shape[1] < 1200  # drafted, upright


# ---- (c) files that are not images are named and counted ----------------------------------------------

SUPPORTED = "(supported: .png, .jpg, .jpeg, .bmp, .webp, .tif, .tiff)"


def test_named_gif_and_text_files_are_reported_by_name_and_counted(tiny_run, tmp_path, capsys):
    gif, text = tmp_path / "anim.gif", tmp_path / "notes.txt"
    Image.new("RGB", (30, 30), (0, 0, 200)).save(gif)
    text.write_text("not a picture\n", encoding="utf-8")
    good = _png(tmp_path / "good.png")

    assert main(["predict", str(tiny_run), str(gif), str(good), str(text)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{good}: ") and len(captured.out.splitlines()) == 1
    assert captured.err.splitlines() == [
        f"cnnstudio: error: {gif}: not a supported image type {SUPPORTED}",
        f"cnnstudio: error: {text}: not a supported image type {SUPPORTED}",
    ]

    assert main(["predict", str(tiny_run), str(gif), str(good), str(text), "--json"]) == 1
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["failed"] == 2
    assert [sorted(p) for p in result["predictions"]][0] == ["error", "file"]
    assert "class" in result["predictions"][1] and "not a supported image type" in result["predictions"][2]["error"]


def test_a_folder_predicts_its_images_and_summarises_the_other_files_in_one_line(tiny_run, tmp_path, capsys):
    folder = tmp_path / "shelf photos"
    (folder / "aisle 2").mkdir(parents=True)
    _png(folder / "a.png")
    _png(folder / "aisle 2" / "b.png", (20, 200, 20))
    for name in ("c.gif", "d.txt", "e.pdf", "aisle 2/f.doc"):
        (folder / name).write_bytes(b"not an image")
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden files are left out, not counted

    assert main(["predict", str(tiny_run), str(folder)]) == 1
    captured = capsys.readouterr()
    assert [line.split(": ")[0] for line in captured.out.splitlines()] == [str(folder / "a.png"), str(folder / "aisle 2" / "b.png")]
    assert captured.err.splitlines() == [
        f"cnnstudio: error: {folder}: 4 files are not a supported image type and skipped {SUPPORTED}: "
        "c.gif, d.txt, e.pdf and 1 more"
    ]

    assert main(["predict", str(tiny_run), str(folder), "--json"]) == 1
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["failed"] == 4 and len(result["predictions"]) == 6
    assert len(result["problems"]) == 1


# ---- (d) NaN weights, (e) weights of another model: refused, one line, exit 2 ----------------------------

def _rewrite_best(run: Path, change) -> Path:
    path = run / "weights" / "best.safetensors"
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    save_file(change(load_file(str(path))), str(path), metadata=metadata)
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_nan_weights_are_refused_by_predict_and_evaluate(run_copy, tmp_path, capsys):
    best = _rewrite_best(run_copy, lambda weights: {
        name: torch.full_like(t, float("nan")) if t.is_floating_point() else t for name, t in weights.items()})
    expected = f"cnnstudio: error: {best} holds NaN or infinite values; the run's weights are damaged"
    image = _png(tmp_path / "good.png")

    assert main(["predict", str(run_copy), str(image)]) == 2
    assert _one_error_line(capsys) == expected
    assert main(["predict", str(run_copy), str(image), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines() == [expected]  # no half-written JSON
    assert main(["evaluate", str(run_copy)]) == 2
    assert _one_error_line(capsys) == expected


def test_threshold_refuses_weights_of_another_model(run_copy, capsys):
    def other_shapes(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        weights["backbone.conv1.weight"] = torch.zeros(16, 3, 3, 3)  # a run with 16 first filters, not 8
        return weights

    _rewrite_best(run_copy, other_shapes)
    before = (run_copy / "weights" / "best.safetensors").read_bytes()
    for args in ([], ["0.3"], ["--recall", "0.9"]):
        assert main(["threshold", str(run_copy), *args]) == 2
        line = _one_error_line(capsys)
        assert line == (f"cnnstudio: error: {run_copy}: weights/best.safetensors does not fit the model in "
                        f"config.toml (backbone.conv1.weight is 16x3x3x3 in the file, 8x3x3x3 in the model)")
    assert (run_copy / "weights" / "best.safetensors").read_bytes() == before  # nothing written
