"""What the report's model sections show, gathered from a trained model and its evaluation.

    findings = model_findings(model, report, limit=12)   # filters, the worst mistakes and their Grad-CAM maps
    html = render_report(run, findings)                  # core/report/render.py

Loading the model and evaluating it needs the plugins (its head, its
dataset): ``cnnstudio.app.report_job`` does that and hands the pieces here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnstudio.core.evaluate.evaluation import EvaluationReport
from cnnstudio.core.evaluate.gradcam import default_gradcam_layer, grad_cam
from cnnstudio.core.evaluate.prediction import TrainedModel


@dataclass(frozen=True)
class ModelFindings:
    """An evaluation with the filters of every conv layer and the worst mistakes explained by Grad-CAM."""

    report: EvaluationReport
    filters: list[tuple[str, np.ndarray]]  # (layer name, weights (out, in, kh, kw)), first layer first
    positions: list[int]  # the shown mistakes' positions in ``report``, the highest loss first
    cams: Any  # their Grad-CAM maps (n, S, S) in [0, 1], or None without mistakes
    layer: str  # the layer Grad-CAM read


def model_findings(model: TrainedModel, report: EvaluationReport, limit: int) -> ModelFindings:
    """Filters, the ``limit`` worst mistakes of ``report`` and their Grad-CAM maps (for the predicted class)."""
    filters = [(name, conv.weight.detach().float().cpu().numpy()) for name, conv in model.model.conv_layers()]
    positions = report.mistakes(limit)
    layer = default_gradcam_layer(model.model)
    cams = None
    if positions:
        images = report.images[positions].float().div(255)  # (n, 3, S, S) in [0, 1]
        cams = grad_cam(model.model, images, layer=layer).numpy()  # explains the predicted (wrong) class
    return ModelFindings(report, filters, positions, cams, layer)
