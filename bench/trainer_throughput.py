"""Trainer throughput against a plain PyTorch loop: same model, data, batch size and threads.

For each model (the `recommended` and the `seed` presets) this prints the
training images/s of

- ``plain``: model.train(); for each shuffled batch: float/255, forward,
  cross_entropy, backward, Adam step; nothing else;
- ``trainer``: cnnstudio's trainer with augmentation off (like for like),
  as it reports it (training phase only) and end to end (training images
  divided by the whole epoch's wall time: validation, checkpoints and
  snapshots included);
- ``trainer+aug``: the same with flips and shifts on,

each for a few epochs after one warm-up epoch (the best epoch counts: on a shared
machine other load only ever slows an epoch down), and the ratio trainer / plain.
Run: ``.venv/bin/python bench/trainer_throughput.py`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from cnnstudio.core.config import RunConfig, replace_nested  # noqa: E402
from cnnstudio.core.events import EpochEnded, RunStarted  # noqa: E402
from cnnstudio.core.model.heads import build_classification_head  # noqa: E402
from cnnstudio.core.model.network import build_model  # noqa: E402
from cnnstudio.core.model.presets import apply_preset  # noqa: E402


def load_images(count: int, size: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(N, 3, size, size) uint8 images and labels: retail.products, or random ones without the plugin."""
    from cnnstudio.host.manager import get_plugin_manager

    specs = get_plugin_manager().datasets()
    if "retail.products" in specs:
        spec = specs["retail.products"]
        data = spec.load(spec.resolve_options({"count": count, "size": size}))
        return data.images, data.labels, "retail.products"
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8, generator=generator)
    return images, torch.arange(count) % 2, "synthetic"


def plain_loop(config: RunConfig, images: torch.Tensor, labels: torch.Tensor, epochs: int) -> list[float]:
    """images/s of each timed epoch of the textbook loop (after one warm-up epoch)."""
    torch.manual_seed(config.seed)
    num_classes = int(labels.max()) + 1
    model = build_model(config.model, build_classification_head, num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    batch_size = config.training.batch_size
    rates = []
    for epoch in range(epochs + 1):
        model.train()
        start = time.perf_counter()
        for index in torch.randperm(len(images)).split(batch_size):
            batch = images[index].float() / 255  # (B, 3, H, W) float in [0, 1]
            loss = F.cross_entropy(model(batch), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch > 0:  # epoch 0 warms up the allocator and kernels
            rates.append(len(images) / (time.perf_counter() - start))
    return rates


def trainer(config: RunConfig, epochs: int, runs_root: Path) -> tuple[list[float], list[float], int]:
    """(reported images/s, end-to-end images/s, train images) per timed epoch of the real trainer."""
    from cnnstudio.app.runner import train_run

    reported: list[float] = []
    end_to_end: list[float] = []
    train_images = [0]

    def observe(event: Any) -> None:
        if isinstance(event, RunStarted):
            train_images[0] = event.num_train
        elif isinstance(event, EpochEnded) and event.epoch > 1:  # epoch 1 is the warm-up
            reported.append(event.images_per_s)
            end_to_end.append(train_images[0] / event.seconds)

    train_run(replace_nested(config, **{"training.epochs": epochs + 1}), runs_root=runs_root, observers=(observe,))
    return reported, end_to_end, train_images[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="images in the dataset (default 2000)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both (default 1)")
    parser.add_argument("--presets", default="recommended,seed")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnstudio-bench-") as runs_root:
        for name in args.presets.split(","):
            base = apply_preset(RunConfig(), name)
            size = base.model.input_size  # generate at the model's size: no resizing in either loop
            config = replace_nested(base, **{
                "dataset.id": "retail.products",
                "dataset.options": {"count": args.count, "size": size},
                "training.batch_size": args.batch_size,
                "training.augment_flip": False,
                "training.augment_shift": False,
                "threads": args.threads,
                "device": "cpu",
            })
            images, labels, source = load_images(args.count, size)
            if source != "retail.products":
                print("retail.products is not available: the trainer cannot run on the synthetic set", file=sys.stderr)
            reported, end_to_end, num_train = trainer(config, args.epochs, Path(runs_root))
            # The plain loop sees as many images as the trainer's training split.
            plain = plain_loop(config, images[:num_train], labels[:num_train], args.epochs)
            augmented = replace_nested(config, **{"training.augment_flip": True, "training.augment_shift": True})
            aug_reported, aug_end_to_end, _ = trainer(augmented, args.epochs, Path(runs_root))
            p = max(plain)
            rows.append((name, "plain PyTorch loop", p, p, 1.0, 1.0))
            for label, rep, e2e in (("trainer", reported, end_to_end), ("trainer + augmentation", aug_reported, aug_end_to_end)):
                r, e = max(rep), max(e2e)
                rows.append((name, label, r, e, r / p, e / p))

    print(f"\nTraining throughput, {args.count} images ({num_train} in the training split), batch {args.batch_size}, "
          f"{args.threads} thread(s), CPU, best of {args.epochs} epochs after a warm-up (other load only slows epochs down); torch {torch.__version__}")
    header = ("preset", "loop", "img/s (train)", "img/s (epoch)", "ratio (train)", "ratio (epoch)")
    print(f"{header[0]:<12} {header[1]:<24} {header[2]:>14} {header[3]:>14} {header[4]:>14} {header[5]:>14}")
    for name, label, r, e, rr, er in rows:
        print(f"{name:<12} {label:<24} {r:>14.0f} {e:>14.0f} {rr:>14.2f} {er:>14.2f}")
    print("img/s (train): the training phase only; img/s (epoch): training images / whole epoch time "
          "(validation, checkpoints and snapshots included). Ratio: against the plain loop.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
