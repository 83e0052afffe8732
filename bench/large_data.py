"""Training on a folder larger than the memory share it may take: images/s and the training process's peak memory.

Builds (once; reused from ``--data-dir``) a class folder of ``--count`` small PNGs (default 200,000 at
64 px: four classes of shapes in random colours), then trains it through the real entry point,
``python -m cnnstudio train --dataset FOLDER --option in_memory_limit_mb=LIMIT --epochs 1``, in a child
process, with its own decode cache (``CNNSTUDIO_CACHE_DIR`` under ``--data-dir``). While the child runs,
its /proc status is sampled every 0.1 s; the bench prints its peak VmRSS (everything resident,
mapped file pages included), RssAnon (its own memory: heap, tensors) and RssFile (file pages mapped in),
the epoch's training images/s (the run's metrics.jsonl) and the wall time of each run.

The first run decodes every file into the cache's image file; ``--runs 2`` (the default) trains again
from the cache, as reopening a folder does. Finally the store itself is read in random batches of 64
rows, warm (pages in the page cache) and cold (after ``posix_fadvise(DONTNEED)`` drops them): the
speed the disk and the page cache allow, without the model.

Run: ``.venv/bin/python bench/large_data.py`` (``--count 20000`` for a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("circle", "square", "triangle", "cross")
DEFAULT_DIR = Path(tempfile.gettempdir()) / "cnnstudio-bench-large"


def _draw_many(task: tuple[str, int, int, int]) -> int:
    """Write PNGs ``start..stop`` of the folder: a class's shape in random colours on a plain background."""
    import numpy as np
    from PIL import Image, ImageDraw

    folder, start, stop, size = task
    for index in range(start, stop):
        label = index % len(CLASSES)
        rng = np.random.default_rng(index)
        background, colour = (tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(2))
        image = Image.new("RGB", (size, size), background)
        draw = ImageDraw.Draw(image)
        radius = size * float(rng.uniform(0.15, 0.3))
        cx, cy = (float(v) for v in rng.uniform(radius, size - radius, 2))
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        if label == 0:
            draw.ellipse(box, fill=colour)
        elif label == 1:
            draw.rectangle(box, fill=colour)
        elif label == 2:
            draw.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=colour)
        else:
            width = radius / 3
            draw.rectangle((cx - radius, cy - width, cx + radius, cy + width), fill=colour)
            draw.rectangle((cx - width, cy - radius, cx + width, cy + radius), fill=colour)
        image.save(Path(folder) / CLASSES[label] / f"{index:06d}.png", compress_level=1)
    return stop - start


def build_folder(data_dir: Path, count: int, size: int) -> Path:
    """The class folder of ``count`` PNGs, generated on first use (``.complete`` marks it whole)."""
    folder = data_dir / f"shapes-{count}-{size}px"
    if (folder / ".complete").exists():
        return folder
    for name in CLASSES:
        (folder / name).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"generating {count:,} PNGs of {size} px in {folder} ...", flush=True)
    step = 2000
    tasks = [(str(folder), start, min(start + step, count), size) for start in range(0, count, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        sum(pool.map(_draw_many, tasks))
    (folder / ".complete").touch()
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def _status(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon and RssFile of ``pid`` in bytes (empty once it is gone)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    found[key] = int(value.split()[0]) * 1024
    except (OSError, ValueError):
        pass
    return found


def train_once(folder: Path, data_dir: Path, args: argparse.Namespace, label: str) -> dict[str, float]:
    """One ``cnnstudio train`` child; its wall time, images/s and peak memory."""
    runs = Path(tempfile.mkdtemp(prefix="runs-", dir=data_dir))
    env = {**os.environ, "CNNSTUDIO_CACHE_DIR": str(data_dir / "cache"), "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "cnnstudio", "train", "--dataset", str(folder),
               "--option", f"size={args.size}", "--option", f"in_memory_limit_mb={args.limit_mb}",
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--device", "cpu",
               "--out", str(runs)]
    print(f"{label}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for key, value in _status(child.pid).items():
                if key in peaks:
                    peaks[key] = max(peaks[key], value)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = child.communicate()[0]
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        print(output[-4000:])
        raise SystemExit(f"{label}: cnnstudio train exited with {child.returncode}")
    metrics = [json.loads(line) for run in runs.iterdir() if (run / "metrics.jsonl").is_file()
               for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rates = [m["images_per_s"] for m in metrics if "images_per_s" in m]
    result = {"wall_s": seconds, "images_per_s": rates[-1] if rates else float("nan"),
              **{f"peak_{k}": v for k, v in peaks.items()}}
    print(f"  {label}: {seconds:.0f} s wall, training {result['images_per_s']:,.0f} images/s; peak VmRSS "
          f"{peaks['VmRSS'] / 2**20:,.0f} MiB, RssAnon {peaks['RssAnon'] / 2**20:,.0f} MiB, "
          f"RssFile {peaks['RssFile'] / 2**20:,.0f} MiB", flush=True)
    return result


def read_speed(data_dir: Path, seconds: float = 5.0) -> None:
    """Random batches of 64 rows from the cache's image file: warm, then cold (page cache dropped)."""
    import torch

    from cnnstudio.core.data.disk_images import open_image_file, release_pages

    files = sorted((data_dir / "cache" / "folders").glob("*/images.safetensors"), key=lambda p: p.stat().st_size)
    if not files:
        return
    path = files[-1]
    images, _ = open_image_file(path)
    generator = torch.Generator().manual_seed(0)
    for label in ("warm", "cold"):
        if label == "cold":
            descriptor = os.open(path, os.O_RDONLY)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(descriptor)
        release_pages(images)
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            batch = images[torch.randint(len(images), (64,), generator=generator)]
            count += len(batch)
            if count % 6400 == 0:
                release_pages(images)
        rate = count / (time.perf_counter() - started)
        print(f"  store read ({label}, random batches of 64 from {path.stat().st_size / 2**30:.2f} GiB): "
              f"{rate:,.0f} images/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="images in the folder (default 200,000)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--limit-mb", type=int, default=256, help="dataset.options.in_memory_limit_mb (default 256)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--runs", type=int, default=2, help="training runs: the first decodes, the rest reuse the cache")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR, help=f"where the folder and cache live ({DEFAULT_DIR})")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    folder = build_folder(args.data_dir, args.count, args.size)
    decoded = args.count * 3 * args.size * args.size
    print(f"{args.count:,} images = {decoded / 2**30:.2f} GiB decoded; in_memory_limit_mb = {args.limit_mb}", flush=True)
    for run in range(args.runs):
        cached = any((args.data_dir / "cache").glob("folders/*/index.json"))
        train_once(folder, args.data_dir, args, f"run {run + 1} ({'from the cache' if cached else 'decodes'})")
    read_speed(args.data_dir)


if __name__ == "__main__":
    main()
