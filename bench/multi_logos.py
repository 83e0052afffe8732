"""Several logos per real photo: every box found? AP50 over all instances, counts, training time.

Writes YOLO folders of 128 px scene crops (bench/real_photo_layouts.py: train
photos and held-out photos are different pictures) holding 0-3 copies of the
scikit-image logo, each 14-36 px wide, slightly rotated, never overlapping
another by more than a little. Trains each head named in ``--heads`` through
``cnnstudio.app.runner.train_run`` (preset "recommended", the folder imported
at 128 px, CPU) and scores the held-out folder over every true box:
COCO AP50 and AP50:95 (torchmetrics), box precision and recall at the run's
threshold, and the share of images whose count of boxes at the threshold is
exactly right. The one-box ``box`` head is scored the same way, its one box
per image being its only detection.

Run: ``.venv/bin/python bench/multi_logos.py [--heads boxes box] [--train 600] [--test 300]
[--epochs 12] [--size 128] [--threads 2] [--out DIR]``

Measured 2026-12-05, CPU, 2 cores shared with other jobs (load 2-6), seed 0, defaults above
(600 train scenes: 151/170/148/131 with 0/1/2/3 logos; 300 held-out from other photos)::

    head   AP50   AP50:95  precision  recall  count right  mean IoU  train
    boxes  0.990  0.700    1.000      0.983   0.973        0.838     178 s (335 s at load 6)
    box    0.455  0.279    0.982      0.459   0.463        0.385     283 s (at load ~5)

Rerun 2026-12-05 at load ~1 after the merge: the same figures, boxes trained in 133 s.

One logo per image (bench/real_photos.py's logo folders, 64 px, 600 train, 12 epochs, the same
every-box scoring): boxes AP50 0.966, count right 0.973, mean IoU 0.766; box AP50 0.859, count
right 0.990, mean IoU 0.727. Training times are wall-clock under the load of other jobs.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_photo_layouts as layouts  # noqa: E402

OUT = layouts.OUT
LOGO_SIDES = (14, 36)  # pixels, the logo's longer side before rotation
MOST_LOGOS = 3
MOST_OVERLAP = 0.1  # IoU allowed between two pasted logos


def paste_logos(scene: Image.Image, logo: Image.Image, count: int, rng: np.random.Generator) -> tuple[Image.Image, list]:
    """``scene`` with ``count`` logos pasted; the (x0, y0, x1, y1) box of each one's visible pixels."""
    boxes: list[tuple[int, int, int, int]] = []
    image = scene.convert("RGBA")
    for _ in range(count):
        for _attempt in range(20):
            side = int(rng.integers(LOGO_SIDES[0], LOGO_SIDES[1] + 1))
            small = logo.resize((side, side), Image.Resampling.LANCZOS)
            small = small.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BICUBIC, expand=True)
            x, y = int(rng.integers(0, OUT - small.width + 1)), int(rng.integers(0, OUT - small.height + 1))
            alpha = np.asarray(small.getchannel("A")) > 64
            ys, xs = np.nonzero(alpha)
            box = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
            if all(_iou(box, other) <= MOST_OVERLAP for other in boxes):
                layer = Image.new("RGBA", (OUT, OUT), (0, 0, 0, 0))
                layer.paste(small, (x, y))
                image = Image.alpha_composite(image, layer)
                boxes.append(box)
                break
    return image.convert("RGB"), boxes


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def write_multi_yolo(root: Path, count: int, part: str, seed: int) -> dict[int, int]:
    """A YOLO folder of ``count`` scene crops with 0-3 logos each (equally likely); images per logo count."""
    rng = np.random.default_rng(seed)
    names = layouts.TRAIN_SCENES if part == "train" else layouts.TEST_SCENES
    sources = {name: layouts.read_source(name).convert("RGB") for name in names}
    logo = layouts.load_logo()
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("logo\n")
    counts: dict[int, int] = {}
    for index in range(count):
        name = names[index % len(names)]
        crop = layouts.random_crop(sources[name], (0, 0, *sources[name].size), rng)
        crop, boxes = paste_logos(crop, logo, int(rng.integers(0, MOST_LOGOS + 1)), rng)
        stem = f"{name}_{index:04d}"
        lines = "".join(f"0 {(x0 + x1) / 2 / OUT:.6f} {(y0 + y1) / 2 / OUT:.6f} {(x1 - x0) / OUT:.6f} {(y1 - y0) / OUT:.6f}\n"
                        for x0, y0, x1, y1 in boxes)
        layouts._save(crop, root / "images" / f"{stem}.png")
        (root / "labels" / f"{stem}.txt").write_text(lines)
        counts[len(boxes)] = counts.get(len(boxes), 0) + 1
    return dict(sorted(counts.items()))


def train(head: str, folder: Path, size: int, epochs: int, threads: int, runs_root: Path, seed: int) -> tuple[Path, float]:
    """Train ``head`` on ``folder`` with the recommended preset; (run folder, seconds)."""
    from cnnstudio.app.runner import train_run
    from cnnstudio.core.config import DatasetConfig, HeadConfig, RunConfig
    from cnnstudio.core.model.presets import apply_preset

    config = RunConfig(dataset=DatasetConfig(id=str(folder), options={"size": size}), head=HeadConfig(id=head),
                       seed=seed, device="cpu", threads=threads)
    config = apply_preset(config, "recommended")
    config = dataclasses.replace(
        config, model=dataclasses.replace(config.model, input_size=size),
        training=dataclasses.replace(config.training, epochs=epochs),
    ).validate()
    started = time.perf_counter()
    finished = train_run(config, runs_root=runs_root)
    return Path(finished.run_dir), time.perf_counter() - started


def score_heldout(run_dir: Path, folder: Path, size: int) -> dict[str, float]:
    """Every-box figures of a run on a held-out YOLO folder."""
    import torch

    from cnnstudio.app.runner import load_run_model
    from cnnstudio.core.evaluate.detection import at_threshold, average_precision, instances
    from cnnstudio.host.manager import get_plugin_manager

    model = load_run_model(run_dir)
    spec = get_plugin_manager().dataset(str(folder))
    heldout = spec.load(spec.resolve_options({"size": size}))
    found = []
    with torch.inference_mode():
        for start in range(0, len(heldout.images), 64):
            batch = heldout.images[start:start + 64].float().div(255)
            predicted = model.model.head.predict(model.model(batch))
            for row in range(len(batch)):
                if "instance_scores" in predicted:
                    found.append(instances(predicted, row))
                else:  # the one-box head: its box is its only detection, scored by its presence score
                    found.append((predicted["boxes"][row:row + 1], predicted["score"][row:row + 1],
                                  torch.ones(1, dtype=torch.long)))
    true_boxes = [b.reshape(-1, 4).float() for b in heldout.boxes]
    true_classes = [torch.ones(len(b), dtype=torch.long) for b in true_boxes]
    result = average_precision(found, true_boxes, true_classes)
    result.update(at_threshold(found, true_boxes, true_classes, float(model.threshold or 0.5)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", nargs="+", default=["boxes"])
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="keep the folders and runs here (default: a temp dir)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="multi_logos_"))
    try:
        if not (out / "train" / "classes.txt").exists():
            print("train:", write_multi_yolo(out / "train", args.train, "train", args.seed + 30))
            print("held-out:", write_multi_yolo(out / "heldout", args.test, "test", args.seed + 31))
        rows: list[dict[str, Any]] = []
        for head in args.heads:
            run_dir, seconds = train(head, out / "train", args.size, args.epochs, args.threads, out / "runs", args.seed)
            rows.append({"head": head, "train_s": seconds, **score_heldout(run_dir, out / "heldout", args.size)})
            print(rows[-1], flush=True)
        for row in rows:
            print(f"{row['head']:6} AP50 {row['ap50']:.3f}  AP50:95 {row['ap50_95']:.3f}  "
                  f"precision {row['box_precision']:.3f}  recall {row['box_recall']:.3f}  "
                  f"count right {row['count_accuracy']:.3f}  mean IoU {row['mean_iou']:.3f}  train {row['train_s']:.0f}s")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
