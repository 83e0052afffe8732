"""A checkpoint is one unit: ``state/last.pt`` is its commit point, and every loader checks the rest against it.

Saving epoch N writes, in this order:

1. ``state/last.pt``: optimizer, counters, RNG states, the model's weights, and the
   SHA-256 of the weights about to be written. Its atomic rename commits epoch N.
2. ``weights/last.safetensors``.
3. ``weights/best.safetensors``, when epoch N is the best so far.

A kill between these leaves weight files older than the state that names them.
``reconcile`` finds that (by hash) and rewrites them from the weights the state
holds, so resume, evaluate, predict and export all see one epoch. Weights that
cannot be rebuilt (a best file changed by hand) are refused in words. Runs saved
before checkpoints were one unit have no hashes; for them the epochs in the
weights and the state must agree. See docs/architecture.md.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from cnnstudio.core.atomic import atomic_write_bytes
from cnnstudio.core.errors import RunError
from cnnstudio.core.runs.layout import STATE_FILE, check_safetensors_size
from cnnstudio.core.runs.loop_state import LoopState, make_state

if TYPE_CHECKING:
    from cnnstudio.core.runs.folder import RunFolder


LEFTOVER_FOLDERS = (".", "weights", "state")


def weights_bytes(state_dict: dict[str, torch.Tensor], epoch: int) -> bytes:
    """A state_dict as safetensors bytes (CPU, contiguous), its epoch in the metadata."""
    from safetensors.torch import save as save_safetensors_bytes

    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    return save_safetensors_bytes(tensors, metadata={"epoch": str(epoch), "format": "pt"})


def weights_digest(state_dict: dict[str, torch.Tensor], epoch: int) -> str:
    """SHA-256 of the weights' names, types, shapes and values and of the epoch.

    Computed from the tensors, not the file's bytes: safetensors may order its
    metadata differently each time it writes the same weights.
    """
    digest = hashlib.sha256(f"epoch={epoch}".encode())
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().to("cpu").contiguous()
        digest.update(f"|{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """``weights_digest`` of a safetensors file ("" when it cannot be read)."""
    from safetensors import SafetensorError, safe_open

    try:
        if not path.is_file():
            return ""
        check_safetensors_size(path)
        with safe_open(str(path), framework="pt") as weights:
            epoch = int((weights.metadata() or {}).get("epoch", 0))
            tensors = {name: weights.get_tensor(name) for name in weights.keys()}
    except (OSError, ValueError, SafetensorError, RuntimeError):
        return ""
    return weights_digest(tensors, epoch)


def write_checkpoint(
    run: RunFolder, model_state: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer, loop: LoopState,
    *, partial: bool, best: bool,
) -> list[tuple[str, Path]]:
    """Save ``loop.epoch``'s checkpoint (state first, then the weight files); returns (which, path) written."""
    data = weights_bytes(model_state, loop.epoch)
    digest = weights_digest(model_state, loop.epoch)
    if best:
        loop.best_digest = digest
    state = make_state(loop, optimizer, partial)
    state["model"] = {k: v.detach().to("cpu").clone() for k, v in model_state.items()}
    state["last_digest"] = digest
    run.save_state(state)
    written = [("last", run.weights_path("last"))]
    atomic_write_bytes(written[0][1], data)
    if best:
        written.append(("best", run.weights_path("best")))
        atomic_write_bytes(written[1][1], data)
    return written


def replace_weights(run: RunFolder, which: str, weights: dict[str, torch.Tensor], epoch: int) -> Path:
    """Replace one weight file after training (a new decision threshold), keeping the checkpoint's
    record in step: the state first, as when training saves, then the file."""
    try:
        state = run.load_state() if run.file(STATE_FILE).is_file() else None
    except RunError:
        state = None  # damaged: there is no record to keep in step
    if state is not None and "last_digest" in state:
        digest = weights_digest(weights, epoch)
        if which == "last":
            state["model"] = {k: v.detach().to("cpu").clone() for k, v in weights.items()}
            state["last_digest"] = digest
        else:
            state["loop"]["best_digest"] = digest
        run.save_state(state)
    path = run.weights_path(which)
    atomic_write_bytes(path, weights_bytes(weights, epoch))
    return path


def remove_leftover_temporaries(run: RunFolder) -> list[str]:
    """Delete the ``.NAME.XXXX.tmp`` files a killed atomic write leaves behind; returns their names."""
    removed = []
    for folder in LEFTOVER_FOLDERS:
        directory = run.path / folder
        if not directory.is_dir():
            continue
        for path in directory.glob(".*.tmp"):
            try:
                path.unlink()
                removed.append(path.relative_to(run.path).as_posix())
            except OSError:
                pass
    return removed


def reconcile(run: RunFolder) -> list[str]:
    """Make the run's weight files and metrics agree with its committed checkpoint; returns notes for people.

    Only for a run that no other process is training (``RunFolder.is_live`` is False):
    it rewrites files. Raises RunError when the files disagree and cannot be rebuilt;
    a damaged or missing state leaves everything as it is.
    """
    remove_leftover_temporaries(run)
    if not run.file(STATE_FILE).is_file():
        return []
    try:
        state = run.load_state()
    except RunError:
        return []  # nothing to check against; resume reports the damaged state itself
    loop = LoopState.from_dict(state["loop"])
    notes: list[str] = []
    if "last_digest" not in state:
        _check_epochs_agree(run, loop.epoch)
    else:
        notes += _repair_weights(run, state, loop)
    recorded = [int(r.get("epoch", 0)) for r in run.read_metrics()]
    if any(epoch > loop.epoch for epoch in recorded):
        run.truncate_metrics(loop.epoch)
        notes.append(f"metrics.jsonl had epochs after the last saved checkpoint (epoch {loop.epoch}); "
                     f"they were removed, as the run was interrupted before saving them")
    return notes


def _repair_weights(run: RunFolder, state: dict[str, Any], loop: LoopState) -> list[str]:
    notes = []
    rebuildable_best = loop.best_epoch == loop.epoch and not state.get("partial_epoch")
    for which, expected, rebuildable in (
        ("last", str(state["last_digest"]), True),
        ("best", loop.best_digest, rebuildable_best),
    ):
        path = run.weights_path(which)
        relative = f"weights/{which}.safetensors"
        if not expected or (path.is_file() and file_digest(path) == expected):
            continue
        if not rebuildable:
            if not path.exists():
                continue  # a missing best: loaders fall back to last, with a note
            raise RunError(
                f"{run.path}: {relative} does not match the run's best epoch {loop.best_epoch} (it was changed "
                f"after it was saved); delete it to use the last checkpoint, or train the run again"
            )
        if weights_digest(state["model"], loop.epoch) != expected:
            raise RunError(f"{run.path}: {STATE_FILE} is damaged (its weights do not match its own record)")
        try:
            atomic_write_bytes(path, weights_bytes(state["model"], loop.epoch))
        except OSError as error:
            raise RunError(f"{run.path}: cannot repair {relative} ({error.strerror or error})") from None
        notes.append(f"{relative} was rewritten from the checkpoint of epoch {loop.epoch}: "
                     f"the run was interrupted while saving it")
    return notes


def _check_epochs_agree(run: RunFolder, state_epoch: int) -> None:
    """Runs saved before checkpoints had hashes: the last weights must be from the state's epoch."""
    if not run.weights_path("last").is_file():
        return
    weights_epoch = run.weights_epoch("last")
    if weights_epoch != state_epoch:
        raise RunError(
            f"{run.path}: weights/last.safetensors is from epoch {weights_epoch} but {STATE_FILE} from epoch "
            f"{state_epoch}: the run was interrupted while saving, and cannot continue exactly; train it again"
        )
