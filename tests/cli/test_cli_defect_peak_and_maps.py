"""`predict` on a defect run: the map's peak in the file's own pixels, and --maps pictures the size of the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from tiny_runs import train_tiny_run

from cnnstudio.cli.main import main
from cnnstudio.core.data.image_io import fit_geometry
from cnnstudio.core.evaluate.defect_map_geometry import map_in_file, peak_in_file


def test_the_peak_undoes_the_letterbox():
    # A 200 x 100 file letterboxed into 64 px: scale 0.32, bars of 16 px above and below.
    geometry = fit_geometry(100, 200, 64, "pad")
    heatmap = torch.zeros(64, 64)
    heatmap[20, 40] = 1.0  # the input pixel whose centre is (40.5, 20.5)
    x, y = peak_in_file(heatmap, geometry, 64, 100, 200)
    assert abs(x - 40.5 / 0.32) <= 2 and abs(y - (20.5 - 16) / 0.32) <= 2


def test_a_coarse_map_peaks_in_its_hottest_cell_and_never_in_the_bars():
    geometry = fit_geometry(100, 200, 64, "pad")
    heatmap = torch.full((8, 8), 0.1)
    heatmap[0, :] = 0.9  # the top row of cells lies in the letterbox bar: not part of the file
    heatmap[5, 1] = 0.8  # input pixels 8..16 x 40..48
    x, y = peak_in_file(heatmap, geometry, 64, 100, 200)
    assert 8 / 0.32 <= x <= 16 / 0.32 and (40 - 16) / 0.32 <= y <= (48 - 16) / 0.32


def test_the_map_in_file_pixels_has_the_files_size_and_keeps_the_hot_place():
    geometry = fit_geometry(90, 150, 32, "pad")
    heatmap = torch.zeros(4, 4)
    heatmap[2, 3] = 1.0
    in_file = map_in_file(heatmap, geometry, 32, 90, 150)
    assert tuple(in_file.shape) == (90, 150)
    row, column = divmod(int(in_file.argmax()), 150)
    assert column > 150 * 0.6 and 90 * 0.3 < row < 90 * 0.9


@pytest.fixture(scope="module")
def defect_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("defect_peak")
    return train_tiny_run(base, "manufacturing.surfaces", out=base / "runs", seed=1, count=120, size=32)


def a_part(tmp_path: Path, name: str, size: tuple[int, int]) -> Path:
    image = Image.new("RGB", size, (120, 120, 120))
    image.paste((250, 250, 250), (size[0] // 2, 10, size[0] // 2 + 3, 30))
    path = tmp_path / name
    image.save(path)
    return path


def test_predict_json_gives_the_peak_and_maps_the_size_of_each_file(defect_run, tmp_path, capsys):
    wide, tall = a_part(tmp_path, "wide.png", (120, 50)), a_part(tmp_path, "tall.png", (40, 90))
    maps = tmp_path / "maps"
    assert main(["predict", str(defect_run), str(wide), str(tall), "--json", "--maps", str(maps)]) == 0
    entries = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["predictions"]
    for entry, (width, height) in zip(entries, ((120, 50), (40, 90))):
        x, y = entry["peak"]
        assert 0 <= x <= width and 0 <= y <= height
        with Image.open(entry["map"]) as picture:
            assert picture.size == (width, height) and picture.mode == "L"
    assert sorted(p.name for p in maps.iterdir()) == ["tall.map.png", "wide.map.png"]


def test_predict_text_names_each_map(defect_run, tmp_path, capsys):
    part = a_part(tmp_path, "part.png", (64, 64))
    assert main(["predict", str(defect_run), str(part), "--maps", str(tmp_path / "maps")]) == 0
    out = capsys.readouterr().out
    assert f"defect map: {tmp_path / 'maps' / 'part.map.png'}" in out


def test_maps_into_a_file_is_refused(defect_run, tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["predict", str(defect_run), str(a_part(tmp_path, "p.png", (32, 32))), "--maps", str(target)]) == 2
    assert f"--maps {target}: this is a file, not a folder" in capsys.readouterr().err


def test_maps_for_a_run_without_defect_maps_says_none_was_written(tmp_path, capsys):
    run = train_tiny_run(tmp_path, "retail.products", out=tmp_path / "runs", seed=1, count=60, size=16)
    capsys.readouterr()
    maps = tmp_path / "maps"
    assert main(["predict", str(run), str(a_part(tmp_path, "shoe.png", (32, 32))), "--maps", str(maps)]) == 0
    captured = capsys.readouterr()
    assert "draws no defect map; no map was written" in captured.err
    assert "peak" not in captured.out and not list(maps.iterdir())
