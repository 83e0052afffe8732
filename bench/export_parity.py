"""Export parity and export time for the recommended model on retail.products and manufacturing.surfaces.

For each dataset: trains the recommended preset briefly (default options,
``--epochs`` epochs, 1 torch thread) into a temporary folder, exports it to
ONNX and TorchScript with ``export_run`` (what ``cnnstudio export`` does) and
prints the parity figures (max |logit| and |probability| differences,
decisions agreeing, agreement with ``cnnstudio predict``) and the seconds the
export and the check took.
Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/export_parity.py [--epochs N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cnnstudio.app.export_job import export_run
from cnnstudio.app.runner import train_run
from cnnstudio.core.config import RunConfig

DATASETS = ("retail.products", "manufacturing.surfaces")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="export-bench-") as root:
        for dataset in DATASETS:
            config = RunConfig.from_dict({
                "seed": 0, "device": "cpu", "threads": 1,
                "dataset": {"id": dataset}, "model": {"preset": "recommended"}, "training": {"epochs": args.epochs},
            })
            started = time.perf_counter()
            finished = train_run(config, runs_root=Path(root))
            run_dir = Path(finished.run_dir)
            print(f"\n== {dataset}: recommended, {args.epochs} epochs, trained in {time.perf_counter() - started:.1f} s")
            for fmt in ("onnx", "torchscript"):
                path, report = export_run(run_dir, fmt, Path(root) / dataset / f"model.{'onnx' if fmt == 'onnx' else 'pt'}")
                print(f"-- {fmt}: {path.stat().st_size / 1024:.0f} KiB")
                print(report.text())


if __name__ == "__main__":
    main()
