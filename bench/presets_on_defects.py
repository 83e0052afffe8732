"""Model presets on a small generated defect-like task: does the model find a small scratch or spot?

Images are 64x64 grey textures (smooth blobs plus pixel noise); half of them
carry one thin short scratch (5-9 px, one pixel wide) or a 3x3 spot, brighter
or darker, at a random position. Each preset trains with a plain PyTorch loop
(Adam; the `seed` family with the lesson's recipe: lr 0.001, no augmentation;
the others with lr 0.003, flips, weight decay and a cosine schedule), one
torch thread, and prints its validation accuracy per epoch and its seconds.

Expected: `seed` stays near chance (its linear head learns pixel positions),
`recommended` passes 95%.
Run: ``.venv/bin/python bench/presets_on_defects.py [--images 800] [--epochs 10] [--data-seed 0] [preset ...]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnstudio.core.model.heads import build_classification_head  # noqa: E402
from cnnstudio.core.model.network import build_model  # noqa: E402
from cnnstudio.core.model.presets import preset  # noqa: E402
from cnnstudio.core.model.summary import summarize  # noqa: E402

DIRECTIONS = [(0, 1), (1, 0), (1, 1), (1, -1)]


def make_defects(count: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3, size, size) float images in [0, 1] and (N,) labels: 1 = has a defect."""
    g = torch.Generator().manual_seed(seed)
    blobs = torch.rand(count, 1, size // 8, size // 8, generator=g)
    images = F.interpolate(blobs, size=size, mode="bilinear", align_corners=False) * 0.3 + 0.35
    images = images + 0.06 * torch.randn(count, 1, size, size, generator=g)
    labels = torch.arange(count) % 2
    for i in range(count):
        if labels[i] == 0:
            continue
        y, x = torch.randint(6, size - 6, (2,), generator=g).tolist()
        sign = 1 if torch.rand(1, generator=g).item() < 0.5 else -1
        if torch.rand(1, generator=g).item() < 0.5:  # a thin short scratch
            length = torch.randint(5, 10, (1,), generator=g).item()
            dy, dx = DIRECTIONS[torch.randint(0, 4, (1,), generator=g).item()]
            for t in range(length):
                images[i, 0, y + dy * (t - length // 2), x + dx * (t - length // 2)] += sign * 0.25
        else:  # a small spot
            images[i, 0, y - 1 : y + 2, x - 1 : x + 2] += sign * 0.2
    images = images.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()
    order = torch.randperm(count, generator=g)
    return images[order], labels[order]


def train(name: str, images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int = 32) -> dict:
    model_config, overrides = preset(name)
    torch.manual_seed(0)
    size = model_config.input_size
    x = images if size == images.shape[-1] else F.interpolate(images, size=size, mode="area")
    n_train = int(0.8 * len(x))
    x_train, y_train, x_val, y_val = x[:n_train], labels[:n_train], x[n_train:], labels[n_train:]
    mean, std = x_train.mean(dim=(0, 2, 3)), x_train.std(dim=(0, 2, 3))
    model = build_model(model_config, build_classification_head, 2, mean=mean, std=std)
    lesson = name.startswith("seed")
    optimizer = torch.optim.Adam(model.parameters(), lr=overrides["lr"], weight_decay=0 if lesson else 1e-4)
    steps = epochs * -(-n_train // batch_size)
    schedule = None if lesson else torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    started, accuracies = time.perf_counter(), []
    for _epoch in range(epochs):
        model.train()
        order = torch.randperm(n_train)
        for start in range(0, n_train, batch_size):
            batch = order[start : start + batch_size]
            xb = x_train[batch]
            if overrides["augment_flip"]:
                flip = torch.rand(len(xb)) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
        model.eval()
        with torch.no_grad():
            accuracies.append(round((model(x_val).argmax(1) == y_val).float().mean().item(), 3))
    summary = summarize(model_config)
    return {
        "preset": name, "input": size, "MFLOPs": round(summary.total_flops / 1e6, 1), "params": summary.total_params,
        "val_accuracy": accuracies, "final": accuracies[-1], "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=["seed", "recommended"])
    parser.add_argument("--images", type=int, default=800)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    images, labels = make_defects(args.images, seed=args.data_seed)
    for name in args.presets:
        print(json.dumps(train(name, images, labels, args.epochs)), flush=True)


if __name__ == "__main__":
    main()
