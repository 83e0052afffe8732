"""The GPU check, one script: throughput against plain loops, every domain trained on the device, a torchrun smoke test.

Meant for a machine with a CUDA GPU (torch, torchvision, safetensors and pluggy installed; no Qt needed):

    python bench/gpu_check.py --out /tmp/gpu            # about 5 minutes on an H100
    python bench/gpu_check.py --device cpu --quick       # a dry run of every step on the CPU

1. **Throughput** at batch 256, augmentation off, for the ``seed`` and ``recommended`` presets on
   retail.products at the model's input size: plain PyTorch loops over the same GPU-resident tensors
   (fp32; channels_last; channels_last + bf16 autocast) against the trainer (fp32 and bf16), as the
   trainer reports it (training phase) after a warm-up epoch.
2. **Domains**: each built-in dataset trained for a few epochs on the device through ``train_run``
   (wall time, final metrics, how the batches reached the GPU).
3. **torchrun**: ``torchrun --standalone --nproc-per-node 1 -m cnnstudio train`` on the device.

Writes ``gpu_check.json`` into --out and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from bench.trainer_throughput import load_images  # noqa: E402
from cnnstudio.core.config import RunConfig, replace_nested  # noqa: E402
from cnnstudio.core.events import EpochEnded, RunFinished  # noqa: E402
from cnnstudio.core.model.heads import build_classification_head  # noqa: E402
from cnnstudio.core.model.network import build_model  # noqa: E402
from cnnstudio.core.model.presets import apply_preset  # noqa: E402


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(config: RunConfig, images: torch.Tensor, labels: torch.Tensor, device: torch.device, epochs: int,
               channels_last: bool, bf16: bool) -> float:
    """Best images/s of the textbook loop over device-resident tensors (after one warm-up epoch)."""
    torch.manual_seed(0)
    model = build_model(config.model, build_classification_head, int(labels.max()) + 1).to(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=memory_format)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    images, labels = images.to(device), labels.to(device)
    best = 0.0
    for epoch in range(epochs + 1):
        synchronise(device)
        start = time.perf_counter()
        for index in torch.randperm(len(images), device=device).split(config.training.batch_size):
            batch = (images[index].float() / 255).contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(model(batch), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        synchronise(device)
        if epoch > 0:
            best = max(best, len(images) / (time.perf_counter() - start))
    return best


def trainer_rate(config: RunConfig, epochs: int, runs_root: Path) -> tuple[float, str]:
    """Best images/s the trainer reports (training phase) after a warm-up epoch, and how batches reached the device."""
    from cnnstudio.app.runner import train_run

    rates: list[float] = []

    def observe(event: Any) -> None:
        if isinstance(event, EpochEnded) and event.epoch > 1:
            rates.append(event.images_per_s)

    finished = train_run(replace_nested(config, **{"training.epochs": epochs + 1}), runs_root=runs_root,
                         observers=(observe,))
    info = json.loads((Path(finished.run_dir) / "run.json").read_text())
    return max(rates), str(info.get("batches", "?"))


def throughput(args: argparse.Namespace, device: torch.device, runs_root: Path) -> list[dict[str, Any]]:
    rows = []
    for preset in ("seed", "recommended"):
        base = apply_preset(RunConfig(), preset)
        size = base.model.input_size
        config = replace_nested(base, **{
            "dataset.id": "retail.products", "dataset.options": {"count": args.count, "size": size},
            "training.batch_size": 256, "training.augment_flip": False, "training.augment_shift": False,
            "device": device.type, "training.val_fraction": 0.1, "training.test_fraction": 0.0,
        })
        images, labels, _ = load_images(args.count, size)
        train_count = int(args.count * 0.9)
        images, labels = images[:train_count], labels[:train_count]
        plain = {
            "plain fp32": plain_loop(config, images, labels, device, args.epochs, False, False),
            "plain channels_last": plain_loop(config, images, labels, device, args.epochs, True, False),
            "plain channels_last bf16": plain_loop(config, images, labels, device, args.epochs, True, True),
        }
        for name, rate in plain.items():
            rows.append({"preset": preset, "loop": name, "images_per_s": rate})
        for precision in ("fp32", "bf16"):
            rate, where = trainer_rate(replace_nested(config, **{"training.precision": precision}), args.epochs,
                                       runs_root)
            rows.append({"preset": preset, "loop": f"trainer {precision} ({where})", "images_per_s": rate,
                         "vs_plain_fp32": rate / plain["plain fp32"],
                         "vs_plain_bf16": rate / plain["plain channels_last bf16"]})
    return rows


def domains(args: argparse.Namespace, device: torch.device, runs_root: Path) -> list[dict[str, Any]]:
    from cnnstudio.app.runner import train_run
    from cnnstudio.host.manager import get_plugin_manager

    rows = []
    for dataset_id in sorted(get_plugin_manager().datasets()):
        if "/" in dataset_id or os.sep in dataset_id:
            continue
        config = replace_nested(RunConfig(), **{"dataset.id": dataset_id, "training.epochs": args.domain_epochs,
                                                "device": device.type})
        start = time.perf_counter()
        try:
            finished: RunFinished = train_run(config, runs_root=runs_root)
        except Exception as error:  # noqa: BLE001 - one domain's failure is a row of the report, not the end
            rows.append({"dataset": dataset_id, "error": f"{type(error).__name__}: {error}"})
            continue
        info = json.loads((Path(finished.run_dir) / "run.json").read_text())
        rows.append({"dataset": dataset_id, "seconds": time.perf_counter() - start, "reason": finished.reason,
                     "batches": info.get("batches"), "device": info.get("device"),
                     "metrics": {k: round(v, 4) for k, v in finished.metrics.items()}})
    return rows


def torchrun_smoke(device: torch.device, runs_root: Path) -> dict[str, Any]:
    config = runs_root / "smoke.toml"
    config.write_text(f'device = "{device.type}"\n[dataset]\nid = "retail.products"\n'
                      f'options = {{ count = 400, size = 32 }}\n[model]\npreset = "seed"\ninput_size = 32\n'
                      f'[training]\nepochs = 2\n')
    out = runs_root / "torchrun"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1", "-m",
               "cnnstudio", "train", "--config", str(config), "--out", str(out), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    runs = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
    status = json.loads((runs[0] / "run.json").read_text()).get("status") if runs else None
    return {"returncode": done.returncode, "seconds": time.perf_counter() - start, "run_folders": len(runs),
            "status": status, "tail": (done.stdout + done.stderr)[-1500:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--count", type=int, default=20000, help="images for the throughput comparison")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after a warm-up")
    parser.add_argument("--domain-epochs", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="small counts and one epoch: a dry run")
    parser.add_argument("--out", default=".", help="folder for gpu_check.json")
    args = parser.parse_args()
    if args.quick:
        args.count, args.epochs, args.domain_epochs = 600, 1, 1
    device = torch.device(args.device)
    report: dict[str, Any] = {"torch": torch.__version__, "device": str(device)}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    with tempfile.TemporaryDirectory(prefix="cnnstudio-gpu-") as folder:
        runs_root = Path(folder)
        for part, step in (("throughput", throughput), ("domains", domains)):
            report[part] = step(args, device, runs_root)
            print(json.dumps(report[part], indent=1), flush=True)
        report["torchrun"] = torchrun_smoke(device, runs_root)
        print(json.dumps(report["torchrun"], indent=1), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(report, indent=1))
    print(f"\n{'preset':<12} {'loop':<40} {'img/s':>10} {'vs plain':>9} {'vs bf16':>8}")
    for row in report["throughput"]:
        print(f"{row['preset']:<12} {row['loop']:<40} {row['images_per_s']:>10.0f} "
              f"{row.get('vs_plain_fp32', 1.0):>9.2f} {row.get('vs_plain_bf16', 0.0):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
