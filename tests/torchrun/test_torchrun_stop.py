"""Ctrl+C on a torchrun of 2 processes: they stop together at the same batch, rank 0 saves the run as
cancelled, and it resumes on one process to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from test_torchrun_parity import CONFIG, cnnstudio, metrics, only_run

LONG = CONFIG.replace("epochs = 2", "epochs = 40").replace("count = 240", "count = 600")


def test_ctrl_c_stops_every_process_and_the_run_resumes_on_one(tmp_path):
    (tmp_path / "run.toml").write_text(LONG)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m",
               "cnnstudio", "train", "--config", "run.toml", "--out", "runs", "--no-progress"]
    torchrun = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
    seen = []
    deadline = time.monotonic() + 240
    assert torchrun.stdout is not None
    for line in torchrun.stdout:  # wait for the first epoch, as a person watching the terminal would
        seen.append(line)
        if line.startswith("epoch 1/40") or time.monotonic() > deadline:
            break
    torchrun.send_signal(signal.SIGINT)  # torchrun hands Ctrl+C on to its processes
    rest, _ = torchrun.communicate(timeout=120)
    output = "".join(seen) + rest

    run = only_run(tmp_path / "runs")
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "cancelled", output[-3000:]
    assert output.count("Finished (cancelled)") == 1  # rank 0 reports, once
    assert (run / "weights" / "last.safetensors").is_file()
    epochs_done = len(metrics(run))
    assert 1 <= epochs_done < 40

    cnnstudio("resume", str(run), "--epochs", str(epochs_done + 1), cwd=tmp_path)
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert [m["epoch"] for m in metrics(run)] == list(range(1, epochs_done + 2))
