"""The same config gives the same model on 1 process or 2 under torchrun (gloo, this CPU), and a run resumes
with a different number of processes.

The config exercises every part of the rule: batch-norm (synchronised across the processes), dropout (drawn
for the global batch), a batch of 33 split 17 + 16 (unequal shares, weighted to the global mean), and SGD.
It uses average pooling: with max pooling, near-ties in the argmax make this small model chaotic, so that
even one process on 1 thread and on 2 threads ends up 1e-2 apart; average pooling keeps the comparison
about the training maths, not about rounding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

CONFIG = """\
seed = 3
device = "cpu"
threads = 1

[dataset]
id = "retail.products"
options = { count = 240, size = 32 }

[model]
preset = "seed"
input_size = 32
dropout = 0.25
pooling = "avg"
global_pool = "avg"

[training]
epochs = 2
batch_size = 33
optimizer = "sgd"
lr = 0.02
augment_flip = false
augment_shift = false
"""


def cnnstudio(*args: str, processes: int = 1, cwd: Path) -> subprocess.CompletedProcess:
    """``cnnstudio ARGS`` as a person types it, or under ``torchrun --standalone --nproc-per-node N``."""
    launcher = [sys.executable, "-m", "cnnstudio"]
    if processes > 1:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(processes),
                    "-m", "cnnstudio"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*launcher, *args, "--no-progress"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def only_run(runs: Path) -> Path:
    folders = [p for p in runs.iterdir() if p.is_dir()]
    assert len(folders) == 1, f"expected one run folder in {runs}, found {folders}"
    return folders[0]


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def max_weight_difference(a: Path, b: Path) -> float:
    first, second = load_file(a / "weights" / "last.safetensors"), load_file(b / "weights" / "last.safetensors")
    assert first.keys() == second.keys()
    return max((first[k].double() - second[k].double()).abs().max().item() for k in first)


@pytest.fixture(scope="module")
def one_process_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("one")
    (folder / "run.toml").write_text(CONFIG)
    cnnstudio("train", "--config", "run.toml", "--out", "runs", cwd=folder)
    return only_run(folder / "runs")


def test_two_processes_train_the_model_one_process_trains(one_process_run, tmp_path):
    (tmp_path / "run.toml").write_text(CONFIG)
    done = cnnstudio("train", "--config", "run.toml", "--out", "runs", processes=2, cwd=tmp_path)

    two = only_run(tmp_path / "runs")  # rank 0 alone made and wrote the run folder
    info = json.loads((two / "run.json").read_text())
    assert info["world_size"] == 2 and info["backend"] == "gloo"
    assert info["batch_norm_sync"] == "GlobalBatchNorm2d"
    assert info["status"] == "finished"
    assert done.stdout.count("Finished (completed)") == 1  # one voice: only rank 0 reports
    assert max_weight_difference(one_process_run, two) < 1e-4
    one_metrics, two_metrics = metrics(one_process_run), metrics(two)
    assert [m["step"] for m in one_metrics] == [m["step"] for m in two_metrics] == [6, 12]
    for single, parallel in zip(one_metrics, two_metrics):
        assert single["metrics"].keys() == parallel["metrics"].keys()
        for name, value in single["metrics"].items():
            assert parallel["metrics"][name] == pytest.approx(value, abs=1e-4), name
    single_info = json.loads((one_process_run / "run.json").read_text())
    assert single_info["world_size"] == 1 and "backend" not in single_info


def test_a_run_started_on_one_process_resumes_on_two(one_process_run, tmp_path):
    (tmp_path / "run.toml").write_text(CONFIG)
    cnnstudio("train", "--config", "run.toml", "--out", "runs", "--epochs", "1", cwd=tmp_path)
    run = only_run(tmp_path / "runs")
    assert [m["epoch"] for m in metrics(run)] == [1]

    cnnstudio("resume", str(run), "--epochs", "2", processes=2, cwd=tmp_path)

    assert only_run(tmp_path / "runs") == run  # continued in its own folder
    assert [m["step"] for m in metrics(run)] == [6, 12]
    assert json.loads((run / "run.json").read_text())["world_size"] == 2
    assert max_weight_difference(one_process_run, run) < 1e-4


def test_the_global_batch_share_of_each_process_covers_every_row_once():
    from cnnstudio.core.train.distributed import World

    for total in (1, 2, 7, 33, 256):
        for size in (1, 2, 3, 8):
            shares = [World(rank, size).share_of(total) for rank in range(size)]
            rows = [i for share in shares for i in range(total)[share.rows]]
            assert rows == list(range(total))
            assert max(s.count for s in shares) - min(s.count for s in shares) <= 1


def test_dropout_and_augmentation_draw_for_the_global_batch_whichever_share_a_process_holds():
    from cnnstudio.core.data.augment import BatchAugmenter
    from cnnstudio.core.model.batch_dropout import BatchDropout

    images = torch.rand(9, 3, 8, 8)
    dropout = BatchDropout(0.5).train()
    torch.manual_seed(1)
    whole = dropout(torch.ones(9, 4))
    torch.manual_seed(1)
    dropout.share = (9, 5)
    assert torch.equal(dropout(torch.ones(4, 4)), whole[5:])
    assert 0 < (whole == 0).float().mean() < 1  # it does drop, and keeps some

    augment = BatchAugmenter(flip=True, shift=True)
    all_rows, _, _ = augment(images, None, None, torch.Generator().manual_seed(4))
    tail, _, _ = augment(images[5:], None, None, torch.Generator().manual_seed(4), share=(9, 5))
    assert torch.equal(tail, all_rows[5:])
    assert not torch.equal(all_rows, images)


def test_automatic_threads_share_the_cores_among_the_processes_of_one_machine(monkeypatch):
    from cnnstudio.core.train.device import resolve_threads

    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert resolve_threads(0) == max(1, cores // 2)
    assert resolve_threads(3) == 3  # a number asked for is kept
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    assert resolve_threads(0) == cores
