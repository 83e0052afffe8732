"""A finished run's final numbers: validation and test with the best checkpoint's weights."""

from __future__ import annotations

from cnnstudio.core.evaluate.evaluation import evaluate_tensors, targets_of
from cnnstudio.core.runs.folder import RunFolder
from cnnstudio.core.runs.loop_state import LoopState
from cnnstudio.core.train.fit_session import FitSession

FINAL_EVAL_BUDGET_S = 1.0  # a stopped run skips its final evaluation when that is estimated to take longer


def final_metrics(s: FitSession, run: RunFolder, reason: str) -> dict[str, float]:
    """val_* and test_* numbers of the best weights (loaded into ``s.model``).

    The best epoch was validated with exactly the weights saved as best, so its validation numbers
    are reused rather than computed again. A stopped run whose test evaluation would keep the person
    waiting reports the best epoch's validation numbers alone.
    """
    data = s.data
    slow = s.forward_s is not None and s.forward_s * (len(data.val) + len(data.test)) > FINAL_EVAL_BUDGET_S
    if reason == "cancelled" and slow:
        return best_validation(s.loop)
    final: dict[str, float] = {}
    if run.weights_path("best").exists():
        s.model.load_state_dict(run.load_weights("best"))
        final.update(best_validation(s.loop))
    for prefix, part in (("val", data.val), ("test", data.test)):
        if len(part) and not (prefix == "val" and final):
            result = evaluate_tensors(s.model, part.images, targets_of(part), device=s.device,
                                      channels_last=s.channels_last)
            final[f"{prefix}_loss"] = result.loss
            final.update({f"{prefix}_{name}": value for name, value in result.metrics.items()})
    return final


def best_validation(loop: LoopState) -> dict[str, float]:
    """The best epoch's val_* numbers from the loop's history ({} before a best epoch)."""
    if not 0 < loop.best_epoch <= len(loop.history):
        return {}
    return {k: v for k, v in loop.history[loop.best_epoch - 1].items() if k.startswith("val_")}
