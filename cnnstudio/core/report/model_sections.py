"""The HTML report's sections that show what the trained model does: threshold, filters, mistakes, export parity.

Each builder takes already computed data (arrays, an EvaluationReport,
parsed JSON); computing it is ``report.py``'s job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.core.evaluate.threshold_curves import confusion_at, score_curves
from cnnstudio.core.export.parity import PARITY_SUFFIX, ParityStatus, read_parity_report
from cnnstudio.core.report.colour_maps import overlay_heatmap
from cnnstudio.core.report.html import e, fmt, note, section, table
from cnnstudio.core.report.images import filter_mosaic, png_data_uri
from cnnstudio.core.report.svg import Series, line_chart

NOT_EXPORTED = "Not exported yet: cnnstudio export RUN_DIR --format onnx"


# ---- threshold ----------------------------------------------------------------

def threshold_section(report: Any) -> str:
    """Threshold, ROC and PR curves with AUC / AP, and the counts at the saved threshold (two-class heads)."""
    scores = np.asarray(report.scores, dtype=np.float64)
    positives = np.asarray(report.labels) != 0
    threshold = float(report.threshold)
    curves = score_curves(scores, positives)
    counts = confusion_at(scores, positives, threshold)
    # The point each curve reaches at the saved threshold.
    roc_at = (counts.fpr, counts.recall)
    pr_at = (counts.recall, counts.precision)
    roc = line_chart(
        [Series(f"ROC (AUC {fmt(curves.roc_auc, 3)})", list(curves.fpr), list(curves.tpr), markers=False),
         Series("chance", [0.0, 1.0], [0.0, 1.0], colour="#9aa3b2", dashed=True, markers=False),
         Series("saved threshold", [roc_at[0]], [roc_at[1]], colour="#111827")],
        title="ROC curve", x_label="false-positive rate", y_label="true-positive rate (recall)",
        x_range=(0.0, 1.0), y_range=(0.0, 1.0), width=380, height=330,
    )
    pr = line_chart(
        [Series(f"precision-recall (AP {fmt(curves.average_precision, 3)})", list(curves.recall),
                list(curves.precision), markers=False),
         Series("saved threshold", [pr_at[0]], [pr_at[1]], colour="#111827")],
        title="Precision-recall curve", x_label="recall", y_label="precision",
        x_range=(0.0, 1.0), y_range=(0.0, 1.0), width=380, height=330,
    )
    negative, positive = report.class_names[0], ", ".join(report.class_names[1:])
    rows = [
        ("threshold", threshold), ("ROC AUC", curves.roc_auc), ("average precision", curves.average_precision),
        (f"true positives ({positive} found)", counts.tp), (f"false positives ({negative} flagged)", counts.fp),
        (f"true negatives ({negative} passed)", counts.tn), (f"false negatives ({positive} missed)", counts.fn),
        ("recall", counts.recall), ("false-positive rate", counts.fpr), ("precision", counts.precision),
    ]
    figures = table(("at the saved threshold", "value"), rows, (False, True), "threshold")
    return section(
        "threshold", "Decision threshold", f'<div class="columns">{figures}{roc}{pr}</div>',
        f"An image is decided \u201c{positive}\u201d when its score (1 \u2212 p({negative})) is at least the threshold. "
        "The curves show every threshold at once; the black dot is the saved one, which `cnnstudio predict` and "
        "exported models apply. Change it with `cnnstudio threshold RUN_DIR --recall X` or the Threshold studio.",
    )


# ---- filters ------------------------------------------------------------------

def filters_section(filters: Sequence[tuple[str, np.ndarray]], later_limit: int = 16, later_layers: int = 3) -> str:
    """The first conv layer's filters in colour, and up to ``later_limit`` of a few later layers' in grey."""
    if not filters:
        return section("filters", "Filters", note("The model has no conv layer."))
    figures = []
    for index, (name, weights) in enumerate(filters[: 1 + later_layers]):
        limit = None if index == 0 else later_limit
        shown = weights.shape[0] if limit is None else min(limit, weights.shape[0])
        mosaic = filter_mosaic(weights, limit=limit)
        kind = "colour: each tile reads red, green and blue" if weights.shape[1] == 3 else "grey: the mean over input channels"
        caption = (f"{name}: {shown} of {weights.shape[0]} filters, {weights.shape[2]}x{weights.shape[3]} "
                   f"reading {weights.shape[1]} channels ({kind})")
        figures.append(
            f'<figure><img class="pixels" alt="{e(name)} filters" src="{png_data_uri(mosaic)}">'
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )
    return section(
        "filters", "Filters", f'<div class="filters">{"".join(figures)}</div>',
        "What each conv layer learned to look for. Each tile is one filter, scaled by its own darkest and brightest "
        "weight: compare patterns, not strength. Trained first-layer filters often become edge and colour detectors.",
    )


# ---- mistakes -------------------------------------------------------------------

def mistakes_section(report: Any, positions: Sequence[int], cams: Any, layer: str) -> str:
    """Cards for the worst wrongly decided images: the image, its Grad-CAM overlay, the head's map, the verdict."""
    total = len(report.mistakes())
    shown = f"All {total}" if len(positions) == total else f"The worst {len(positions)} of {total}"
    lead = (f"{shown} wrongly decided {report.split} images, the highest loss (the most confidently "
            f"wrong) first. Grad-CAM (layer {layer}) shows where the evidence for the predicted class was: "
            "hot colours mark the parts of the image that pushed the model to its decision.")
    if not positions:
        text = f"No mistakes: every {report.split} image was decided right." if not total else "No mistakes shown (--mistakes 0)."
        return section("mistakes", "Mistakes", note(text))
    cards = []
    for rank, position in enumerate(positions):
        image = report.images[position]  # (3, S, S) uint8
        tiles = [("image", png_data_uri(image, min_size=104)),
                 ("Grad-CAM", png_data_uri(overlay_heatmap(image, cams[rank], alpha=0.6), min_size=104))]
        if report.heatmaps is not None:
            tiles.append(("head's map", png_data_uri(overlay_heatmap(image, report.heatmaps[position], alpha=0.6), min_size=104)))
        images = "".join(
            f'<figure class="tile"><img class="pixels" alt="{e(caption)}" src="{uri}"><figcaption>{e(caption)}</figcaption></figure>'
            for caption, uri in tiles
        )
        true_name = report.class_names[report.labels[position]]
        predicted_name = report.class_names[report.predicted[position]]
        bars = "".join(
            f'<div class="bar"><span class="name">{e(name)}</span><span class="track">'
            f'<span class="fill" style="display:block; width:{100 * p:.1f}%"></span></span><span>{p:.3f}</span></div>'
            for name, p in zip(report.class_names, report.probabilities[position])
        )
        extra = f", score {report.scores[position]:.3f}" if report.scores is not None else ""
        source = report.sources[position] if position < len(report.sources) else ""
        cards.append(
            f'<div class="card" data-position="{position}"><div class="images">{images}</div>'
            f'<div class="verdict">#{rank + 1} true <span class="true">{e(true_name)}</span>, predicted '
            f'<span class="wrong">{e(predicted_name)}</span> (loss {report.losses[position]:.3f}{e(extra)})</div>'
            f'{bars}<div class="source">{e(source)}</div></div>'
        )
    return section("mistakes", "Mistakes", f'<div class="mistakes">{"".join(cards)}</div>', lead)


# ---- export parity ----------------------------------------------------------------

# (heading, tooltip, how to show a ParityReport.to_dict() record) per column.
PARITY_COLUMNS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("Format", "", lambda r: str(r.get("format", "?"))),
    ("File", "", lambda r: Path(str(r.get("file", "?"))).name),
    ("Images checked", "", lambda r: f"{r['num_images']} ({r.get('input_description', '')})" if "num_images" in r else "?"),
    ("Max |logit difference|", "must be at most the tolerance (1e-4)",
     lambda r: _parity_value(r["max_abs_logit_diff"]) if "max_abs_logit_diff" in r else "?"),
    ("Decisions agreeing", "100% needed",
     lambda r: f"{r['decisions_agreeing']}/{r.get('num_images', '?')}" if "decisions_agreeing" in r else "?"),
    ("Same as cnnstudio predict", "the run's own prediction path (it resizes in whole grey levels)",
     lambda r: f"{r['predict_agreeing']}/{r.get('num_images', '?')}" if "predict_agreeing" in r else "?"),
    ("Threshold", "", lambda r: "none" if r.get("threshold") is None else fmt(r["threshold"], 4)),
    ("Versions", "", lambda r: ", ".join(v for v in (
        f"torch {r['torch_version']}" if r.get("torch_version") else "",
        f"onnxruntime {r['onnxruntime_version']}" if r.get("onnxruntime_version") else "",
        f"opset {r['opset']}" if r.get("opset") else "") if v)),
)


def read_parity_files(run_dir: Path) -> list[ParityStatus]:
    """Every ``export/*.parity.json`` of a run, read and checked against its model file (``read_parity_report``)."""
    return [read_parity_report(path) for path in sorted((Path(run_dir) / "export").glob("*" + PARITY_SUFFIX))]


def parity_section(records: Sequence[ParityStatus]) -> str:
    """A table with one row per export (as written by ``cnnstudio export``): passed, FAILED, stale, missing or unverified first."""
    lead = ("Each export is checked against the PyTorch model on validation images: the largest logit difference "
            "and whether every decision agrees. The report records the file's sha256: a file changed after its "
            "check shows as stale.")
    if not records:
        return section("export", "Export parity", note(NOT_EXPORTED), lead)
    head = "<th>Result</th>" + "".join(f'<th title="{e(tip)}">{e(title)}</th>' for title, tip, _ in PARITY_COLUMNS)
    rows = []
    for record in records:
        if record.status == "unreadable":
            problem = f"{record.parity_file.name}: {record.message}"
            rows.append(f'<tr><td class="fail">unreadable</td><td colspan="{len(PARITY_COLUMNS)}">{e(problem)}</td></tr>')
            continue
        data = {**record.data, "file": str(record.model_file)}
        verdict = f'<td class="{"pass" if record.passed else "fail"}" title="{e(record.message)}">{e(record.message)}</td>'
        cells = "".join(f"<td>{e(show(data))}</td>" for _, _, show in PARITY_COLUMNS)
        rows.append(f'<tr title="{e(str(record.model_file))}">{verdict}{cells}</tr>')
    body = f'<table class="parity"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return section("export", "Export parity", body, lead)


def _parity_value(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value != 0 and abs(value) < 1e-3:
        return f"{value:.3e}"
    return fmt(value, 6)
