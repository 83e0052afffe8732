"""Peak memory and time of ``cnnstudio predict RUN FOLDER --json`` on many six-megapixel photos.

Creates N (default 500) 3000x2000 JPEG photos, once, in a cache folder under
/tmp (scikit-image's astronaut, coffee and chelsea photos upscaled, each file
shifted, brightened and speckled a little so no two are alike), trains a
tiny run once (retail.products, 32 px input, one epoch, as tests/tiny_runs.py
does), then runs ``python -m cnnstudio predict RUN FOLDER --json`` in a child
process and prints the child's peak resident memory (its ``ru_maxrss``, read
with ``os.wait4`` for that one child) and the wall time.

Run: ``.venv/bin/python bench/predict_memory.py [--count 500] [--files] [--cache DIR] [--input-size 32]``

``--files`` names every photo on the command line instead of the folder
(older versions of ``predict`` took files only). Peak memory should not
grow with ``--count``: prediction decodes a few files at a time, JPEGs at a
reduced draft size.

Measured 2026-12-05, 2-core CPU shared with other jobs (``import torch`` alone peaks at ~630 MB):

    code                                   model   N    peak RSS   time
    before (decode all first, --files)     32 px    4     831 MB    5.7 s
    before (decode all first, --files)     32 px   50    1749 MB   16.3 s
    before (decode all first, --files)     32 px  100    2592 MB   25.3 s
    after  (streamed, folder)              32 px   50     824 MB    4.3 s
    after  (streamed, folder)              32 px  100     824 MB    5.1 s
    after  (streamed, --files)             32 px  100     825 MB    4.4 s
    after  (streamed, folder)              32 px  500     825 MB    7.3 s
    after  (streamed, folder)             128 px  500     865 MB   20.5 s

(before, 500 photos were reported to pass 8 GB; not run here.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing
sys.path.insert(0, str(REPO / "tests"))  # tiny_runs

WIDTH, HEIGHT = 3000, 2000
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "cnnstudio-bench-predict-memory"


def base_photos() -> list:
    """The three scikit-image photos, upscaled to 3000x2000 (PIL images)."""
    from PIL import Image
    from skimage import data

    return [Image.fromarray(photo()).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
            for photo in (data.astronaut, data.coffee, data.chelsea)]


def make_photos(folder: Path, count: int) -> list[Path]:
    """``count`` photo_NNNN.jpg files in ``folder``, written only when missing."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo_{index:04d}.jpg" for index in range(count)]
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"writing {len(missing)} {WIDTH}x{HEIGHT} JPEGs to {folder} (once)...", flush=True)
        bases = [np.asarray(photo) for photo in base_photos()]
        rng = np.random.default_rng(0)
        for path in missing:
            index = int(path.stem.split("_")[1])
            pixels = np.roll(bases[index % 3], shift=(index * 37) % 400, axis=1)
            gain = 0.85 + 0.3 * ((index * 7919) % 100) / 100
            pixels = np.clip(pixels.astype(np.float32) * gain, 0, 255).astype(np.uint8)
            y, x = rng.integers(0, HEIGHT - 200), rng.integers(0, WIDTH - 200)
            pixels[y : y + 200, x : x + 200] = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
            partial = path.with_suffix(".part")
            Image.fromarray(pixels).save(partial, format="JPEG", quality=90)
            partial.replace(path)
    return paths


def tiny_run(cache: Path, input_size: int) -> Path:
    """A tiny trained run in ``cache``, trained once and reused."""
    runs = cache / f"runs-{input_size}"
    existing = sorted(p for p in runs.glob("*") if (p / "weights" / "best.safetensors").exists()) if runs.exists() else []
    if existing:
        return existing[-1]
    from tiny_runs import train_tiny_run

    print(f"training a tiny run ({input_size} px input) in {runs} (once)...", flush=True)
    os.environ.setdefault("CNNSTUDIO_CACHE_DIR", str(cache / "dataset-cache"))
    return train_tiny_run(cache / f"config-{input_size}", "retail.products", out=runs, count=120,
                          size=input_size, batch_size=32)


def measure(run: Path, targets: list[str]) -> tuple[int, float, int, str, str]:
    """(peak RSS in bytes, seconds, exit code, stdout, stderr) of ``cnnstudio predict RUN TARGETS --json``."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "cnnstudio", "predict", str(run), *targets, "--json"],
                                   stdout=out, stderr=err, env=env, cwd=str(REPO))
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux (bytes on macOS).
        peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return peak, seconds, process.returncode, out.read().decode(), err.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="number of photos (default 500)")
    parser.add_argument("--files", action="store_true", help="name every file instead of the folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"cache folder (default {DEFAULT_CACHE})")
    parser.add_argument("--input-size", type=int, default=32, help="the tiny run's input size (default 32)")
    parser.add_argument("--budget-mb", type=float, default=1536, help="fail (exit 1) above this peak (default 1536)")
    args = parser.parse_args(argv)

    all_photos = make_photos(args.cache / "photos", args.count)
    # The folder given to predict holds exactly ``count`` photos (links into the shared photo cache).
    folder = args.cache / f"set-{args.count}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in all_photos:
        link = folder / path.name
        if not link.exists():
            os.link(path, link)
    run = tiny_run(args.cache, args.input_size)
    targets = [str(folder / path.name) for path in all_photos] if args.files else [str(folder)]
    peak, seconds, code, out, err = measure(run, targets)
    lines = out.strip().splitlines()
    predicted = failed = -1
    if lines:
        import json

        try:
            result = json.loads(lines[-1])
            predicted, failed = len(result["predictions"]), result["failed"]
        except (ValueError, KeyError):
            pass
    mode = "files" if args.files else "folder"
    print(f"predict {args.count} x {WIDTH}x{HEIGHT} JPEGs ({mode}, {args.input_size} px model): "
          f"peak RSS {peak / 2**20:.0f} MB, {seconds:.1f} s, exit {code}, "
          f"{predicted} predictions, {failed} failed")
    if code != 0:
        print(err[-2000:], file=sys.stderr)
    if peak > args.budget_mb * 2**20:
        print(f"over the budget of {args.budget_mb:.0f} MB", file=sys.stderr)
        return 1
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
