"""The HTML report of tiny real runs: self-contained, every section, numbers equal to evaluate_run's."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from report_helpers import decode_png, parse_page, section, train_tiny_run

from cnnstudio.app.report_job import write_report
from cnnstudio.app.runner import evaluate_run
from cnnstudio.core.errors import CNNStudioError, RunError
from cnnstudio.core.export.exporter import write_parity
from cnnstudio.core.export.parity import ParityReport
from cnnstudio.core.report.html import fmt
from cnnstudio.core.runs.folder import RunFolder

HEADINGS = {"Config", "Training curves", "Confusion matrix", "Per-class metrics", "Decision threshold", "Filters",
            "Mistakes", "Export parity"}


@pytest.fixture(scope="module")
def classification(tmp_path_factory) -> tuple[Path, Path]:
    run = train_tiny_run(tmp_path_factory.mktemp("report_cls"), "retail.products", options={"classes": "5"})
    return run, write_report(run)


@pytest.fixture(scope="module")
def heatmap(tmp_path_factory) -> tuple[Path, Path]:
    run = train_tiny_run(tmp_path_factory.mktemp("report_heat"), "manufacturing.surfaces")
    return run, write_report(run, mistakes=4)


def test_report_is_one_self_contained_html_file(classification) -> None:
    run, path = classification
    assert path == run / "report.html"
    root = parse_page(path)
    assert root.find_all("link") == [] and root.find_all("script") == [] and root.find_all("iframe") == []
    for tag in ("img", "a", "source", "image", "use"):
        for node in root.find_all(tag):
            for key in ("src", "href", "xlink:href"):
                value = node.attrs.get(key, "")
                assert not value.startswith(("http:", "https:", "//", "file:")), (tag, value[:60])
    assert all(img.attrs["src"].startswith("data:image/png;base64,") for img in root.find_all("img"))
    style = "".join(node.all_text() for node in root.find_all("style"))
    assert "url(" not in style and "@import" not in style


def test_report_has_every_section_and_the_run_facts(classification) -> None:
    run, path = classification
    root = parse_page(path)
    assert {h2.all_text() for h2 in root.find_all("h2")} == HEADINGS
    header = root.find_all("header")[0].all_text()
    info = RunFolder(run).read_info()
    assert run.name in header and "Retail product photos" in header and "classification" in header
    assert f"{info['best_epoch']} of 2" in header
    for name in info["class_names"]:
        assert name in section(root, "confusion").all_text()
    assert "no decision threshold" in section(root, "threshold").all_text()


def test_confusion_and_per_class_numbers_equal_evaluate_run(classification) -> None:
    run, path = classification
    expected = evaluate_run(run, split="val")
    root = parse_page(path)
    cells = section(root, "confusion").find_all("td")
    shown = {(int(td.attrs["data-true"]), int(td.attrs["data-predicted"])): int(td.children[0].parent.text_parts[0])
             for td in cells}
    k = len(expected.class_names)
    assert shown == {(t, p): expected.confusion[t][p] for t in range(k) for p in range(k)}
    rows = section(root, "per-class").find_all("tr")[1:]
    for row, name, stats in zip(rows, expected.class_names, expected.per_class):
        cells = [td.all_text() for td in row.find_all("td")]
        assert cells == [name, fmt(stats["precision"]), fmt(stats["recall"]), fmt(stats["f1"]), str(stats["support"])]


def test_curves_have_one_point_per_epoch_from_metrics(classification) -> None:
    run, path = classification
    records = RunFolder(run).read_metrics()
    curves = section(parse_page(path), "curves")
    loss, accuracy, head = curves.find_all("svg")
    for chart, train_key in ((loss, "loss"), (accuracy, "accuracy")):
        series = {g.attrs["data-name"]: g for g in chart.find_all("g", css="series")}
        for label, key in (("train", train_key), ("validation", f"val_{train_key}")):
            circles = series[label].find_all("circle")
            assert len(circles) == len(records) == 2
            xs = [float(c.attrs["data-x"]) for c in circles]
            ys = [float(c.attrs["data-y"]) for c in circles]
            assert xs == [r["epoch"] for r in records]
            assert ys == pytest.approx([r["metrics"][key] for r in records], rel=1e-5)  # 6 digits are written
    assert "val_macro_f1" in {g.attrs["data-name"] for g in head.find_all("g", css="series")}  # five classes: no AUC
    for chart in (loss, accuracy, head):
        x_label, y_label = [t.all_text() for t in chart.find_all("text", css="axis-label")]
        assert x_label == "epoch" and y_label
        assert len(chart.find_all("text", css="tick")) >= 4 and chart.find_all("line", css="mark")  # best epoch


def test_filters_and_every_mistake_are_decodable_pngs(classification) -> None:
    run, path = classification
    root = parse_page(path)
    filters = section(root, "filters").find_all("img")
    assert len(filters) == 2  # conv1 in colour, conv2 in grey
    for img in filters:
        decode_png(img.attrs["src"])
    expected = evaluate_run(run, split="val")
    cards = section(root, "mistakes").find_all("div", css="card")
    assert len(cards) == min(12, len(expected.mistakes())) > 0
    for card, position in zip(cards, expected.mistakes(12)):
        assert int(card.attrs["data-position"]) == position
        images = card.find_all("img")
        assert [img.attrs["alt"] for img in images] == ["image", "Grad-CAM"]
        sizes = {decode_png(img.attrs["src"]).size for img in images}
        assert len(sizes) == 1 and min(sizes.pop()) >= 100
        text = card.all_text()
        assert expected.class_names[expected.labels[position]] in text
        assert f"{expected.losses[position]:.3f}" in text


def test_heatmap_run_shows_threshold_curves_and_the_heads_map(heatmap) -> None:
    run, path = heatmap
    expected = evaluate_run(run, split="val")
    root = parse_page(path)
    threshold = section(root, "threshold")
    assert fmt(expected.threshold) in threshold.all_text()
    titles = [t.all_text() for t in threshold.find_all("title")]
    assert "ROC curve" in titles and "Precision-recall curve" in titles
    assert "AUC" in threshold.all_text() and "AP " in threshold.all_text()
    cards = section(root, "mistakes").find_all("div", css="card")
    assert len(cards) == min(4, len(expected.mistakes()))
    for card in cards:
        assert [img.attrs["alt"] for img in card.find_all("img")] == ["image", "Grad-CAM", "head's map"]
    if not cards:
        assert "No mistakes" in section(root, "mistakes").all_text()


def test_parity_json_values_appear_and_missing_export_is_explained(classification, tmp_path) -> None:
    run, path = classification
    assert "cnnstudio export RUN_DIR --format onnx" in section(parse_page(path), "export").all_text()
    copy = Path(shutil.copytree(run, tmp_path / "run"))
    (copy / "export").mkdir()
    (copy / "export" / "model.onnx").write_bytes(b"an exported model")  # the report checks its hash
    parity = ParityReport(
        format="onnx", file=str(copy / "export" / "model.onnx"), num_images=200, max_abs_logit_diff=3.5e-06,
        max_abs_probability_diff=1e-7, decisions_agreeing=200, decisions_agree_fraction=1.0, passed=True,
        threshold=None, input_description="all 200 validation images, 32x32", torch_version="2.14.1",
        onnxruntime_version="1.32.0", opset=20, seconds=1.0, predict_agreeing=199, predict_agree_fraction=0.995,
        sha256=hashlib.sha256(b"an exported model").hexdigest(), size=17,
    )
    write_parity(copy / "export" / "model.onnx", parity, {"class_names": ["a", "b"]})
    (copy / "export" / "broken.parity.json").write_text("{not json", encoding="utf-8")
    out = write_report(copy, out=tmp_path / "elsewhere" / "r.html")
    table = section(parse_page(out), "export").find_all("table")[0]
    headers = [th.all_text() for th in table.find_all("th")]
    rows = [[td.all_text() for td in tr.find_all("td")] for tr in table.find_all("tr")[1:]]
    onnx = dict(zip(headers, rows[1]))
    assert onnx["Result"] == "passed" and onnx["Format"] == "onnx" and onnx["File"] == "model.onnx"
    assert onnx["Images checked"].startswith("200") and onnx["Max |logit difference|"] == "3.500e-06"
    assert onnx["Decisions agreeing"] == "200/200" and onnx["Same as cnnstudio predict"] == "199/200"
    assert "onnxruntime 1.32.0" in onnx["Versions"] and onnx["Threshold"] == "none"
    assert rows[0][0] == "unreadable" and "broken.parity.json" in rows[0][1]


def test_folder_that_is_not_a_run_is_an_error_naming_it(tmp_path) -> None:
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    with pytest.raises(RunError, match="holiday photos.*config.toml is missing") as raised:
        write_report(folder)
    assert isinstance(raised.value, CNNStudioError)
    with pytest.raises(RunError, match="no such run folder"):
        write_report(tmp_path / "absent")


def test_run_without_weights_still_gets_config_and_curves(classification, tmp_path) -> None:
    run, _ = classification
    copy = Path(shutil.copytree(run, tmp_path / "unfinished"))
    shutil.rmtree(copy / "weights")
    root = parse_page(write_report(copy))
    assert {h2.all_text() for h2 in root.find_all("h2")} == HEADINGS
    assert section(root, "curves").find_all("svg")
    assert "has no checkpoint yet" in section(root, "mistakes").all_text()
