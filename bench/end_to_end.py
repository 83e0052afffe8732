"""Time to a trained model: ``cnnstudio train`` against the plain torchvision script a user would write.

Both sides train the same model (the ``recommended`` preset: four 3x3 convs of 16-32 filters with
batch-norm, three 2x2 max pools, a global max pool and one linear layer) on the same class-folder
dataset of PNGs, with the same input size (the images' own), batch size, epochs, Adam learning rate
and weight decay, cosine schedule, flips and shifts, 70/20/10 train/val/test split, a validation
pass every epoch and a test pass at the end. Each side runs as a fresh process and is timed from
launch to exit, the way a person meets it:

- ``plain``: ``torchvision.datasets.ImageFolder`` + ``transforms`` + ``DataLoader(shuffle=True)``, run
  with ``num_workers=2`` (what a user writes on this 2-core machine) and with 0 (faster here: two
  workers fight the two training threads for the cores); ``--plain-workers``; the faster counts;
- ``cnnstudio cold``: ``python -m cnnstudio train --dataset FOLDER`` with an empty decode cache
  (a fresh ``CNNSTUDIO_CACHE_DIR``): the first run a new user meets;
- ``cnnstudio warm``: the same again, with the cache the cold run left.

The two datasets (2,000 images at 64 px, 3 epochs; 10,000 images at 128 px, 5 epochs; four
classes of shapes on noisy backgrounds) are generated once and kept under the temp folder
(``--data-dir``). Both sides train at the images' own size (what ``cnnstudio train`` does with a
folder), or at ``--size`` (the plain script then resizes every image every epoch). Each side runs
``--repeats`` times, interleaved (plain, cold, warm, plain, ...); the fastest run counts, since other
load on a shared machine only ever slows a run down, and its CPU time is shown beside it.
``--source`` runs cnnstudio from another checkout (to compare before and after a change).
Run: ``.venv/bin/python bench/end_to_end.py`` (``--only small`` for the 2,000-image set).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("circle", "square", "triangle", "cross")


@dataclass(frozen=True)
class Case:
    """One dataset and how long to train on it."""

    name: str
    count: int
    size: int
    epochs: int


CASES = (Case("small", 2000, 64, 3), Case("large", 10000, 128, 5))


def _draw(task: tuple[Path, int, int, int]) -> None:
    """Write one PNG: the class's shape, random colour, place and scale, over a noisy background."""
    import numpy as np
    from PIL import Image, ImageDraw

    path, label, size, seed = task
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 200, 3)
    pixels = np.clip(background + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    radius = size * rng.uniform(0.15, 0.3)
    cx, cy = rng.uniform(radius, size - radius, 2)
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if CLASSES[label] == "circle":
        draw.ellipse(box, fill=colour)
    elif CLASSES[label] == "square":
        draw.rectangle(box, fill=colour)
    elif CLASSES[label] == "triangle":
        draw.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=colour)
    else:
        width = radius / 3
        draw.rectangle((cx - radius, cy - width, cx + radius, cy + width), fill=colour)
        draw.rectangle((cx - width, cy - radius, cx + width, cy + radius), fill=colour)
    image.save(path)


def dataset(case: Case, data_dir: Path) -> Path:
    """The case's class folders, generated on first use (a ``.complete`` marker says they are whole)."""
    folder = data_dir / f"shapes-{case.count}-{case.size}px"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    tasks = []
    for index in range(case.count):
        label = index % len(CLASSES)
        (folder / CLASSES[label]).mkdir(parents=True, exist_ok=True)
        tasks.append((folder / CLASSES[label] / f"{index:05d}.png", label, case.size, index))
    print(f"generating {case.count} PNGs at {case.size} px in {folder} ...", flush=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_draw, tasks, chunksize=100))
    (folder / ".complete").touch()
    return folder


PLAIN_SCRIPT = '''\
"""What a user writes: ImageFolder + transforms + DataLoader, the recommended model, Adam."""
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

folder, epochs, batch_size, lr, size, workers, out = sys.argv[1:8]
epochs, batch_size, lr, size, workers = int(epochs), int(batch_size), float(lr), int(size), int(workers)
torch.manual_seed(0)

train_tf = transforms.Compose([
    transforms.Resize((size, size)),
    transforms.RandomHorizontalFlip(),
    transforms.RandomAffine(0, translate=(0.125, 0.125)),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
])
eval_tf = transforms.Compose([
    transforms.Resize((size, size)), transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
])
train_set, eval_set = datasets.ImageFolder(folder, train_tf), datasets.ImageFolder(folder, eval_tf)
order = torch.randperm(len(train_set)).tolist()
n_val, n_test = int(0.2 * len(order)), int(0.1 * len(order))
val_idx, test_idx, train_idx = order[:n_val], order[n_val:n_val + n_test], order[n_val + n_test:]
train_loader = DataLoader(Subset(train_set, train_idx), batch_size=batch_size, shuffle=True, num_workers=workers)
val_loader = DataLoader(Subset(eval_set, val_idx), batch_size=batch_size, num_workers=workers)
test_loader = DataLoader(Subset(eval_set, test_idx), batch_size=batch_size, num_workers=workers)


def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return layers + [nn.MaxPool2d(2, 2)] if pool else layers


model = nn.Sequential(
    *block(3, 16, True), *block(16, 32, True), *block(32, 32, True), *block(32, 32, False),
    nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(32, len(train_set.classes)),
)
optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
loss_fn = nn.CrossEntropyLoss()


def accuracy(loader):
    model.eval()
    right = total = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(1) == labels).sum().item()
            total += len(labels)
    return right / total


for epoch in range(epochs):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
    schedule.step()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f} val accuracy {accuracy(val_loader):.3f}", flush=True)
print(f"test accuracy {accuracy(test_loader):.3f}")
torch.save(model.state_dict(), out)
'''


def timed(command: list[str], env: dict[str, str], log: Path, cwd: Path) -> tuple[float, float]:
    """(wall seconds from launch to exit, CPU seconds of it and its children) of ``command``; its output
    goes to ``log``; a failure stops the bench."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("w") as handle:
        result = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}); see {log}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def last_line(path: Path, word: str) -> str:
    """The last line of ``path`` that holds ``word`` (the accuracy each side reports)."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if word in line.lower()]
    return lines[-1] if lines else "?"


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def run_case(case: Case, folder: Path, work: Path, args: argparse.Namespace) -> dict[str, list[Timing]]:
    """Every side ``args.repeats`` times, interleaved: {side: [(wall, cpu), ...]}."""
    python = sys.executable
    source = args.source.resolve()
    script = work / "plain_train.py"
    script.write_text(PLAIN_SCRIPT)
    env = {**os.environ, "CNNSTUDIO_RUNS_DIR": str(work / "runs")}
    env.pop("CNNSTUDIO_CACHE_DIR", None)
    studio_env = {**env, "PYTHONPATH": str(source) + os.pathsep + env.get("PYTHONPATH", "")}
    studio = [python, "-m", "cnnstudio", "train", "--dataset", str(folder), "--epochs", str(case.epochs),
              "--batch-size", "32", "--no-progress", "--out", str(work / "runs")]
    size = args.size or case.size
    if args.size:  # load the folder and train at this size: the plain script resizes every image each epoch
        config = work / f"input-{size}.toml"
        config.write_text(f"[model]\ninput_size = {size}\n")
        studio += ["--config", str(config), "--option", f"size={size}"]
    times: dict[str, list[Timing]] = {}
    for repeat in range(args.repeats):
        for workers in args.plain_workers:
            plain = [python, str(script), str(folder), str(case.epochs), "32", "0.003", str(size), str(workers),
                     str(work / "plain.pt")]
            side = f"plain, {workers} workers"
            times.setdefault(side, []).append(timed(plain, env, work / f"plain{workers}-{case.name}.log", work))
        cache_env = {**studio_env, "CNNSTUDIO_CACHE_DIR": str(work / f"cache-{case.name}-{repeat}")}  # empty
        times.setdefault("cnnstudio cold", []).append(timed(studio, cache_env, work / f"cold-{case.name}.log", source))
        times.setdefault("cnnstudio warm", []).append(timed(studio, cache_env, work / f"warm-{case.name}.log", source))
        print(f"  {case.name} repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1][0]:.1f} s" for k, v in times.items()),
              flush=True)
    return times


def print_table(case: Case, times: dict[str, list[Timing]], work: Path, workers: int, size: int) -> None:
    """Best wall time (and its CPU time) of each side, and how many times faster cnnstudio is."""
    best = {side: min(runs) for side, runs in times.items()}
    plain_best = min(wall for side, (wall, _) in best.items() if side.startswith("plain"))
    print(f"\n{case.count} images at {case.size} px, {case.epochs} epochs, trained at {size} px:")
    print(f"  {'side':<22}{'wall':>8}{'cpu':>8}{'fastest plain / this':>24}")
    for side, (wall, cpu) in best.items():
        print(f"  {side:<22}{wall:>7.1f}s{cpu:>7.1f}s{plain_best / wall:>23.2f}x")
    accuracies = {side: last_line(work / f"{log}-{case.name}.log", "test accuracy")
                  for side, log in (("plain", f"plain{workers}"), ("cnnstudio", "warm"))}
    print(f"  test accuracy: plain {accuracies['plain']} | cnnstudio {accuracies['cnnstudio']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=[case.name for case in CASES], help="one dataset only")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each side, interleaved (default 2)")
    parser.add_argument("--plain-workers", default="2,0", type=lambda text: [int(n) for n in text.split(",")],
                        help="DataLoader num_workers of the plain script, one run each (default 2,0)")
    parser.add_argument("--size", type=int, help="train both sides at this input size (default: the images' own)")
    parser.add_argument("--source", type=Path, default=ROOT, help="the source tree cnnstudio runs from")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "cnnstudio-bench-e2e",
                        help="where the generated datasets are kept between runs")
    args = parser.parse_args()
    cases = [case for case in CASES if args.only in (None, case.name)]
    results = []
    with tempfile.TemporaryDirectory(prefix="cnnstudio-e2e-") as work_dir:
        for case in cases:
            folder = dataset(case, args.data_dir)
            results.append((case, run_case(case, folder, Path(work_dir), args)))
        load = os.getloadavg()
        print(f"\nbest of {args.repeats} runs of each side (wall clock from launch to exit, CPU time of the process "
              f"and its children); {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for case, times in results:
            print_table(case, times, Path(work_dir), args.plain_workers[0], args.size or case.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
