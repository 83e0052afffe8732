"""The `recommended` preset against the lesson's `seed` preset, through the real product path.

Each dataset is opened by the plugin manager and trained by
``cnnstudio.app.runner.train_run`` (the Trainer, its splits, augmentation,
checkpoints and events), exactly as ``cnnstudio train --preset NAME
--dataset ID_OR_FOLDER`` would. Both presets get the same epochs, seed 0,
2 torch threads, the CPU, and a temporary runs root and folder cache.

Datasets:
  retail           retail.products as shipped (2 classes, normal, 2000 images, 32x32)
  retail-hard      retail.products difficulty=hard
  retail-5classes  retail.products classes=5
  defects-folder   an image folder on disk (ok/ and defect/ sub-folders) written from
                   ``presets_on_defects.make_defects``: 800 grey 64x64 textures, half
                   with a small scratch or spot; every other file is saved at 96x96
                   and every fourth as JPEG, so the folder import has to resize/decode.

Reported per dataset and preset, from the RunFinished event: best-checkpoint
validation accuracy, its test accuracy, epochs run, and training seconds;
then the seconds ratio recommended / seed.

The default run (8 epochs) takes about 2-3 minutes on a 2-core machine.
Accuracies are reproducible run to run; seconds are not on a shared machine
(another busy process can make one run 4x slower), so rerun before trusting
a ratio. Measured at 8 epochs with the default batch size 32 (validation
accuracy, seed -> recommended): retail 0.988 -> 0.998, retail-hard 0.667 ->
0.762, retail classes=5 0.940 -> 0.990, defect folder 0.506 -> 0.950 (0.969
at the default 10 epochs). At batch 64 the defect folder got only ~70 steps
in 8 epochs and recommended stayed at 0.54, which is why the default is 32.
``--quick`` (2 epochs, 300 retail images, 160 folder images) is a smoke run.

Run: ``.venv/bin/python bench/presets_compare.py [--epochs 8] [--quick] [--only NAME] [--images N]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from presets_on_defects import make_defects  # noqa: E402

from cnnstudio.app.runner import train_run  # noqa: E402
from cnnstudio.core.config import DatasetConfig, RunConfig, replace_nested  # noqa: E402
from cnnstudio.core.model.presets import apply_preset  # noqa: E402
from cnnstudio.host.manager import get_plugin_manager  # noqa: E402

PRESETS = ("seed", "recommended")
RETAIL = {
    "retail": {},
    "retail-hard": {"difficulty": "hard"},
    "retail-5classes": {"classes": "5"},
}
FOLDER = "defects-folder"
DATASETS = (*RETAIL, FOLDER)


@dataclass(frozen=True)
class Row:
    """One trained run: its dataset, preset and RunFinished figures."""

    dataset: str
    preset: str
    val_accuracy: float
    test_accuracy: float | None
    epochs: int
    seconds: float


def write_defect_folder(root: Path, count: int, size: int = 64, seed: int = 0) -> Path:
    """``root/ok`` and ``root/defect`` filled with ``count`` images from ``make_defects``.

    Every other image is saved at 1.5x size and every fourth as JPEG, so the
    import's decoding and resizing are part of the path being measured.
    """
    import torch
    from PIL import Image

    images, labels = make_defects(count, size=size, seed=seed)  # (N, 3, size, size) float in [0, 1]
    pixels = (images * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for name in ("ok", "defect"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for i, (array, label) in enumerate(zip(pixels, labels.tolist())):
        image = Image.fromarray(array, mode="RGB")
        if i % 2 == 1:
            image = image.resize((size * 3 // 2, size * 3 // 2), Image.BICUBIC)
        folder = root / ("defect" if label == 1 else "ok")
        if i % 4 == 3:
            image.save(folder / f"{i:05d}.jpg", quality=95)
        else:
            image.save(folder / f"{i:05d}.png")
    return root


def train_preset(dataset: DatasetConfig, preset_name: str, epochs: int, runs_root: Path,
                 manager: Any, device: str = "cpu") -> tuple[float, float | None, int, float]:
    """Train one preset on one dataset: (val acc, test acc, epochs run, seconds)."""
    config = apply_preset(RunConfig(dataset=dataset, seed=0, threads=2, device=device), preset_name)
    config = replace_nested(config, **{"training.epochs": epochs})
    finished = train_run(config, runs_root=runs_root, manager=manager)
    test = finished.metrics.get("test_accuracy")
    return float(finished.metrics["val_accuracy"]), test, finished.epochs_run, finished.seconds


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table, then one line per dataset with the seconds ratio."""
    lines = ["| dataset | preset | val acc | test acc | epochs | seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        test = "-" if r.test_accuracy is None else f"{r.test_accuracy:.3f}"
        lines.append(f"| {r.dataset} | {r.preset} | {r.val_accuracy:.3f} | {test} | {r.epochs} | {r.seconds:.1f} |")
    lines.append("")
    for name in dict.fromkeys(r.dataset for r in rows):
        by_preset = {r.preset: r for r in rows if r.dataset == name}
        if "seed" in by_preset and "recommended" in by_preset and by_preset["seed"].seconds > 0:
            ratio = by_preset["recommended"].seconds / by_preset["seed"].seconds
            lines.append(f"{name}: recommended takes {ratio:.1f}x the seconds of seed")
    return "\n".join(lines)


def run(only: str | None, epochs: int, quick: bool, work: Path, device: str = "cpu",
        images: int | None = None) -> list[Row]:
    """Train both presets on each chosen dataset under ``work``; print a progress line per run."""
    manager = get_plugin_manager()
    datasets: list[tuple[str, DatasetConfig]] = []
    for name in DATASETS if only is None else (only,):
        if name == FOLDER:
            folder = write_defect_folder(work / "defects", count=images or (160 if quick else 800))
            datasets.append((name, DatasetConfig(id=str(folder))))
        else:
            count = images or (300 if quick else None)
            options = dict(RETAIL[name], **({"count": count} if count else {}))
            datasets.append((name, DatasetConfig(id="retail.products", options=options)))
    rows = []
    for name, dataset in datasets:
        for preset_name in PRESETS:
            val, test, epochs_run, seconds = train_preset(dataset, preset_name, epochs, work / "runs", manager, device)
            rows.append(Row(name, preset_name, val, test, epochs_run, seconds))
            print(f"{name} {preset_name}: val {val:.3f} in {seconds:.1f} s", file=sys.stderr, flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> list[Row]:
    """Parse the flags, run the comparison, print the Markdown table; return its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 8; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer images and 2 epochs")
    parser.add_argument("--only", choices=DATASETS, help="run one dataset only")
    parser.add_argument("--images", type=int, help="images per dataset (default: 2000 retail, 800 folder)")
    parser.add_argument("--device", default="cpu", help="auto | cpu | cuda | mps (default cpu)")
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 8)
    started = time.perf_counter()
    saved_cache = os.environ.get("CNNSTUDIO_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="cnnstudio-bench-") as tmp:
        # Keep the decoded-folder cache out of the user's cache folder.
        os.environ["CNNSTUDIO_CACHE_DIR"] = str(Path(tmp) / "cache")
        try:
            rows = run(args.only, epochs, args.quick, Path(tmp), args.device, args.images)
        finally:
            if saved_cache is None:
                os.environ.pop("CNNSTUDIO_CACHE_DIR", None)
            else:
                os.environ["CNNSTUDIO_CACHE_DIR"] = saved_cache
    print(markdown_table(rows))
    print(f"\nwall time: {time.perf_counter() - started:.0f} s ({epochs} epochs per run)")
    return rows


if __name__ == "__main__":
    main()
