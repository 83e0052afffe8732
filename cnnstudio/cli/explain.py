"""Why a run decided what it did, from the command line.

- ``cnnstudio predict RUN IMAGE... --gradcam DIR [--layer NAME]`` writes one
  picture per image: the image as the model sees it, and Grad-CAM of the
  decided class over it (what the app's *Try an image* shows).
- ``cnnstudio evaluate RUN --mistakes N`` lists the N worst mistakes of the
  split, the highest loss first (what the app's Evaluate gallery shows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ConfigError

MIN_PICTURE_SIDE = 256  # small model inputs (32 px) are enlarged so a person can see them


def gradcam_folder(text: str) -> Path:
    """The folder for Grad-CAM pictures, created; ConfigError when it is a file or cannot be made."""
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--gradcam {folder}: this is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--gradcam {folder}: cannot create the folder ({error.strerror or error})") from error
    return folder


def write_gradcam_pictures(model: Any, entries: list[dict[str, Any]], folder: Path, layer: str | None = None) -> None:
    """For each predicted file, save ``<stem>.gradcam.png`` in ``folder`` and add its path as ``entry["gradcam"]``.

    ``model`` is a TrainedModel; ``entries`` come from its ``predict_files``
    (files that could not be read are skipped). Grad-CAM explains the decided
    class at ``layer`` (default: the last conv layer) on the letterboxed input.
    """
    import numpy as np
    from PIL import Image

    from cnnstudio.core.data.image_io import fit_image, read_image
    from cnnstudio.core.evaluate.gradcam import grad_cam
    from cnnstudio.core.report.colour_maps import overlay_heatmap

    used: set[str] = set()
    for entry in entries:
        if "error" in entry:
            continue
        fitted = fit_image(read_image(Path(entry["file"])), model.input_size, "pad")  # (3, S, S) uint8
        batch = fitted[None].float().div(255).to(model.device)
        heat = grad_cam(model.model, batch, layer, target=int(entry["index"]))[0].cpu().numpy()
        image = fitted.permute(1, 2, 0).numpy()
        picture = np.concatenate([image, np.full((image.shape[0], 2, 3), 255, np.uint8), overlay_heatmap(image, heat)], 1)
        scale = max(1, -(-MIN_PICTURE_SIDE // image.shape[0]))
        picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
        name = _unique(f"{Path(entry['file']).stem}.gradcam.png", used)
        Image.fromarray(picture).save(folder / name)
        entry["gradcam"] = str(folder / name)


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name`` with -2, -3... before the suffix when two inputs share a stem."""
    stem, suffix = name.removesuffix(".gradcam.png"), ".gradcam.png"
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{stem}-{number}{suffix}", number + 1
    used.add(candidate)
    return candidate


def worst_mistakes(report: Any, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` wrongly decided images of an EvaluationReport with the highest loss, as plain dicts."""
    if limit < 0:
        raise ConfigError(f"--mistakes must be 0 or more, got {limit}")
    names = report.class_names
    rows = []
    for position in report.mistakes(limit):
        true_class, predicted = report.labels[position], report.predicted[position]
        rows.append({
            "source": report.sources[position] if position < len(report.sources) else str(position),
            "true": names[true_class],
            "predicted": names[predicted],
            "probability_predicted": report.probabilities[position][predicted],
            "probability_true": report.probabilities[position][true_class],
            "loss": report.losses[position],
        })
    return rows


def format_mistakes(rows: list[dict[str, Any]], total: int) -> str:
    """A few lines: the worst mistakes, or that there are none."""
    if not rows:
        return "no mistakes on this split"
    lines = [f"worst {len(rows)} of {total} mistakes (highest loss first):"]
    for row in rows:
        lines.append(f"  {row['source']}: {row['true']} -> {row['predicted']} "
                     f"(p {row['probability_predicted']:.3f}, true class {row['probability_true']:.3f}, "
                     f"loss {row['loss']:.2f})")
    return "\n".join(lines)
