"""A checkpoint is one unit: every way a kill can tear one resumes to the uninterrupted run's numbers, or is
refused in words.

The tears are built by copying files between the folders a kill leaves at the end
of each epoch (no timing races): the state of one epoch with the weights of the
one before, and so on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from checkpoint_helpers import EPOCHS, mark_killed, numbers, same_weights, tear_config, train_with_copies

from cnnstudio.app.runner import resume_run
from cnnstudio.cli.main import main
from cnnstudio.core.errors import RunError
from cnnstudio.core.runs.folder import RunFolder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | dict[int, Path]]:
    """An uninterrupted run, and the folder as a kill at the end of each epoch leaves it."""
    base = tmp_path_factory.mktemp("tear")
    run_dir = base / "reference"
    copies = train_with_copies(tear_config(base), run_dir, base / "copies")
    return {"run": run_dir, "copies": copies, "base": base}


def _torn(reference: dict, tmp_path: Path, state_from: int, weights_from: dict[str, int]) -> Path:
    """The folder a kill at the end of epoch ``state_from + 1`` leaves, with weight files from other moments."""
    copies = reference["copies"]
    run_dir = tmp_path / "torn"
    shutil.copytree(copies[state_from + 1], run_dir)
    for which, epoch in weights_from.items():
        shutil.copy(copies[epoch + 1] / "weights" / f"{which}.safetensors", run_dir / "weights" / f"{which}.safetensors")
    mark_killed(run_dir)
    return run_dir


def _best_epochs(run_dir: Path) -> list[int]:
    return [int(r["epoch"]) for r in RunFolder(run_dir).read_metrics() if r["is_best"]]


def test_state_committed_but_weights_not_yet_written_resumes_exactly(reference, tmp_path):
    # Killed after state/last.pt of epoch 2 was renamed into place, before either weight file.
    run_dir = _torn(reference, tmp_path, state_from=2, weights_from={"last": 1, "best": 1})
    assert RunFolder(run_dir).status == "interrupted"
    assert resume_run(run_dir).reason == "completed"
    assert numbers(run_dir) == numbers(reference["run"])
    assert same_weights(run_dir, reference["run"], "last") and same_weights(run_dir, reference["run"], "best")
    assert RunFolder(run_dir).status == "finished"


def test_best_written_from_another_epoch_is_rebuilt_when_it_is_the_checkpoints_own_epoch(reference, tmp_path):
    best_epoch = _best_epochs(reference["run"])[-1]
    if best_epoch < 2:
        pytest.fail(f"the reference run must improve after epoch 1 for this tear (best epochs {_best_epochs(reference['run'])})")
    # Killed between weights/last.safetensors and weights/best.safetensors of the best epoch.
    run_dir = _torn(reference, tmp_path, state_from=best_epoch, weights_from={"best": best_epoch - 1})
    run = RunFolder(run_dir)
    assert run.weights_epoch("best") != best_epoch
    run.load_weights("best")  # any loader repairs it: evaluate, predict, export see one epoch
    assert run.weights_epoch("best") == best_epoch
    assert resume_run(run_dir).best_epoch == best_epoch
    assert numbers(run_dir) == numbers(reference["run"])


def test_newer_weights_with_an_older_state_are_rolled_back_to_the_committed_epoch(reference, tmp_path):
    # What the old write order left: epoch 2's weights, epoch 1's state and counters.
    run_dir = _torn(reference, tmp_path, state_from=1, weights_from={"last": 2, "best": 2})
    resume_run(run_dir)
    assert numbers(run_dir) == numbers(reference["run"])
    assert same_weights(run_dir, reference["run"], "last")


def test_metrics_of_an_epoch_that_was_never_saved_are_dropped_by_every_loader(reference, tmp_path):
    run_dir = _torn(reference, tmp_path, state_from=1, weights_from={})
    run = RunFolder(run_dir)
    assert [r["epoch"] for r in run.read_metrics()] == [1, 2]
    run.load_weights("last")
    assert [r["epoch"] for r in run.read_metrics()] == [1]


def test_a_best_file_changed_by_hand_is_refused_in_words(reference, tmp_path):
    run_dir = tmp_path / "edited"
    shutil.copytree(reference["run"], run_dir)
    run = RunFolder(run_dir)
    final_best = _best_epochs(run_dir)[-1]
    other = next(e for e in range(1, EPOCHS + 1) if e != final_best)
    shutil.copy(reference["copies"][other + 1] / "weights" / "last.safetensors", run.weights_path("best"))
    if final_best == EPOCHS:
        # The best epoch is the checkpoint's own: the state still holds it, so it is rebuilt.
        run.load_weights("best")
        assert same_weights(run_dir, reference["run"], "best")
    else:
        with pytest.raises(RunError, match=r"weights/best.safetensors does not match the run's best epoch"):
            run.load_weights("best")


def test_leftover_temporary_files_are_removed(reference, tmp_path):
    run_dir = _torn(reference, tmp_path, state_from=2, weights_from={})
    leftovers = [run_dir / "weights" / ".last.safetensors.abc123.tmp", run_dir / "state" / ".last.pt.x1.tmp",
                 run_dir / ".run.json.q.tmp"]
    for path in leftovers:
        path.write_bytes(b"half")
    resume_run(run_dir)
    assert not any(path.exists() for path in leftovers)


def test_a_run_killed_after_its_last_checkpoint_is_finished_by_resume(reference, tmp_path, capsys):
    run_dir = tmp_path / "unfinished"
    shutil.copytree(reference["run"], run_dir)
    (run_dir / "summary.json").unlink()
    mark_killed(run_dir)
    assert RunFolder(run_dir).status == "interrupted"
    assert main(["resume", str(run_dir), "--no-progress"]) == 0
    run = RunFolder(run_dir)
    assert run.status == "finished"
    assert run.read_summary()["metrics"] == RunFolder(reference["run"]).read_summary()["metrics"]
    assert numbers(run_dir) == numbers(reference["run"])
    # Finished now: a second resume says so instead of training again.
    assert main(["resume", str(run_dir), "--no-progress"]) == 2
    assert "already trained 4 of training.epochs = 4" in capsys.readouterr().err


def test_a_run_killed_before_its_first_checkpoint_is_trained_again_in_its_folder(reference, tmp_path, capsys):
    run_dir = tmp_path / "early"
    shutil.copytree(reference["copies"][1], run_dir)  # at the end of epoch 1, before its checkpoint
    assert not (run_dir / "state").exists() and not (run_dir / "weights").exists()
    mark_killed(run_dir)
    assert main(["resume", str(run_dir), "--no-progress"]) == 0
    assert "stopped before it saved its first checkpoint" in capsys.readouterr().out
    assert numbers(run_dir) == numbers(reference["run"])
    assert RunFolder(run_dir).status == "finished"


def test_a_checkpoint_saved_before_hashes_with_torn_epochs_is_refused_in_words(reference, tmp_path):
    import torch

    run_dir = _torn(reference, tmp_path, state_from=1, weights_from={"last": 2})
    state_path = run_dir / "state" / "last.pt"
    state = torch.load(state_path, weights_only=True)
    for key in ("model", "last_digest"):
        del state[key]
    state["loop"].pop("best_digest")
    torch.save(state, state_path)
    with pytest.raises(RunError, match=r"last.safetensors is from epoch 2 but state/last.pt from epoch 1"):
        resume_run(run_dir)


def test_a_run_another_live_process_is_training_is_neither_repaired_nor_resumed(reference, tmp_path):
    import json
    import subprocess
    import sys

    run_dir = _torn(reference, tmp_path, state_from=2, weights_from={"last": 1})
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = json.loads((run_dir / "run.json").read_text())
        info.update(status="running", pid=trainer.pid)
        (run_dir / "run.json").write_text(json.dumps(info))
        run = RunFolder(run_dir)
        assert run.status == "running" and run.is_live()
        stale = run.weights_path("last").read_bytes()
        run.load_weights("last")  # a reader of a live run leaves its files to their writer
        assert run.weights_path("last").read_bytes() == stale
        with pytest.raises(RunError, match=rf"is being trained by another process \(pid {trainer.pid}\)"):
            resume_run(run_dir)
    finally:
        trainer.kill()
        trainer.wait()
    assert RunFolder(run_dir).status == "interrupted"
