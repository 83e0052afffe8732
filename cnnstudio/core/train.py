"""The Trainer: one fit loop, read top to bottom, that emits events and saves a run folder.

    trainer = Trainer(config, imageset, head_spec, run_dir, observers=[print])
    finished = trainer.fit()          # RunFinished; raises TrainingError on NaN loss

Order of events: RunStarted, Snapshot(epoch 0), Advice("slow_epoch") when an
epoch is estimated to take minutes, then per epoch BatchEnded (the first
batch, every ``batch_event_every``-th, the last, and any after half a second
without one), EpochEnded, Advice (when it first applies), Snapshot,
CheckpointWritten ("last", and "best" when it improved); finally RunFinished,
or RunFailed followed by the exception. Stopping is cooperative:
``stop_requested()`` is asked before every batch and, through hooks
(``train_pace.LayerStops``), before every layer and gradient. The run then
saves "last" and finishes as "cancelled"; the stopped epoch is not recorded,
and a final evaluation longer than a second is skipped (the best epoch's
validation numbers are reported instead).
``Trainer.resume`` continues from "last": exactly (same numbers as an
uninterrupted run on CPU) when the stop fell between epochs; a run stopped
mid-epoch redoes that epoch from its partly trained weights.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from cnnstudio.core.atomic import describe_os_error
from cnnstudio.core.augment import BatchAugmenter
from cnnstudio.core.config import RunConfig
from cnnstudio.core.device import resolve_device, resolve_threads, use_channels_last
from cnnstudio.core.evaluation import evaluate_tensors, targets_of
from cnnstudio.core.events import (
    Advice, BatchEnded, CheckpointWritten, EpochEnded, Event, RunFailed, RunFinished, RunStarted,
)
from cnnstudio.core.imbalance import imbalance_advice
from cnnstudio.core.heads import decided_labels
from cnnstudio.core.imageset import ImageSet
from cnnstudio.core.checkpoint import reconcile, write_checkpoint
from cnnstudio.core.loop_state import LoopState, learning_rate, score_of, stream_seed, suggested_lr
from cnnstudio.core.model import CNNModel, build_model, feature_shape
from cnnstudio.core.runs import SUMMARY_FILE, RunFolder, now_iso
from cnnstudio.core.sampling import epoch_order, inverse_frequency, select_targets
from cnnstudio.core.snapshot import snapshot_indices, take_snapshot
from cnnstudio.core.splits import channel_stats, resize_images, stratified_split
from cnnstudio.core.summary import require_trainable
from cnnstudio.core.train_pace import BatchPacer, EpochForecast, FirstBatchWatch, LayerStops, StopNow
from cnnstudio.errors import CNNStudioError, ConfigError, DatasetError, RunError, TrainingError
from cnnstudio.specs import HeadSpec

log = logging.getLogger(__name__)
Observer = Callable[[Event], None]
FINAL_EVAL_BUDGET_S = 1.0  # a stopped run skips its final evaluation when that is estimated to take longer


class Trainer:
    """Trains ``config``'s model on ``imageset`` into ``run_dir``."""

    def __init__(
        self,
        config: RunConfig,
        imageset: ImageSet,
        head_spec: HeadSpec,
        run_dir: Path,
        *,
        observers: Sequence[Observer] = (),
        stop_requested: Callable[[], bool] | None = None,
        batch_event_every: int = 10,
        snapshot_images: int = 4,
        notes: Sequence[tuple[str, str]] = (),
    ) -> None:
        # Refuse a bad config before anything is written or computed.
        self.config = config.validate()
        require_trainable(config.model, imageset.num_classes)
        self.imageset, self.head_spec = imageset, head_spec
        self.run = RunFolder(run_dir)
        self.observers = list(observers)
        self.stop_requested = stop_requested or (lambda: False)
        self.batch_event_every = max(1, batch_event_every)
        self.snapshot_images = snapshot_images
        self.notes = list(notes)  # (code, message): shown as Advice when the run starts
        self._resume_from: tuple[dict[str, Any], dict[str, torch.Tensor]] | None = None
        self._finish_only = False  # resume of a run killed after its last epoch: evaluate and summarise
        self._started = False  # the run's status is this session's to change only once training started

    @classmethod
    def resume(
        cls, run_dir: Path, imageset: ImageSet, head_spec: HeadSpec, *, epochs: int | None = None,
        observers: Sequence[Observer] = (), stop_requested: Callable[[], bool] | None = None, **kwargs: Any,
    ) -> Trainer:
        """A Trainer that continues ``run_dir`` from its last saved epoch (to ``epochs`` if given)."""
        run = RunFolder(run_dir)
        if run.is_live():
            raise RunError(f"{run.path} is being trained by another process (pid {run.read_info().get('pid')}); "
                           f"stop it before resuming")
        config = run.load_config()
        if epochs is not None:
            config = replace(config, training=replace(config.training, epochs=epochs)).validate()
        repairs = reconcile(run)
        state = run.load_state()
        weights = state["model"] if "model" in state else run.load_weights("last")
        loop = LoopState.from_dict(state["loop"])
        patience = config.training.patience
        trained = loop.epoch >= config.training.epochs or bool(patience and loop.bad_epochs >= patience)
        if trained and not state.get("partial_epoch") and run.file(SUMMARY_FILE).is_file():
            raise ConfigError(
                f"{run.path} already trained {loop.epoch} of training.epochs = {config.training.epochs}; "
                f"ask for more epochs to continue it"
            )
        trainer = cls(config, imageset, head_spec, run.path, observers=observers, stop_requested=stop_requested, **kwargs)
        trainer._resume_from = (state, weights)
        trainer._finish_only = trained and not state.get("partial_epoch")  # killed after its last checkpoint
        trainer.notes += [("checkpoint_repaired", note) for note in repairs]
        return trainer

    # ---- the loop -----------------------------------------------------------
    def fit(self) -> RunFinished:
        """Train to ``training.epochs`` (or until stopped) and return the final event."""
        threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
        try:
            return self._fit()
        except CNNStudioError as error:
            self._fail(str(error))
            raise
        except OSError as error:
            message = describe_os_error(error)
            self._fail(message)
            raise RunError(message) from error
        except Exception as error:
            self._fail(f"training stopped by an unexpected error: {type(error).__name__}: {error}")
            raise
        finally:
            _use_threads(threads)
            torch.use_deterministic_algorithms(deterministic)

    def _fit(self) -> RunFinished:
        cfg, t, run = self.config, self.config.training, self.run
        started = time.perf_counter()
        device = resolve_device(cfg.device)
        threads = resolve_threads(cfg.threads)
        _use_threads(threads)
        if device.type == "cpu":
            torch.use_deterministic_algorithms(True, warn_only=True)
        torch.manual_seed(cfg.seed)

        # Data: resize once, split by class, normalise with the train split's statistics.
        data = self.imageset
        images, masks, boxes = resize_images(data.images, cfg.model.input_size, data.masks, data.boxes)
        data = ImageSet(images, data.labels, list(data.class_names), masks, boxes, list(data.sources), name=data.name)
        train_idx, val_idx, test_idx = stratified_split(data.labels, t.val_fraction, t.test_fraction, cfg.seed)
        if len(train_idx) == 0 or len(val_idx) == 0:
            raise DatasetError(
                f"{data.name or 'the dataset'} has {len(data)} images: too few for a training and a validation split"
            )
        train, val, test = data.subset(train_idx), data.subset(val_idx), data.subset(test_idx)
        train_targets, val_targets = targets_of(train), targets_of(val)
        mean, std = channel_stats(train.images)

        # Model, loss weights, optimizer.
        num_classes = data.num_classes
        model = build_model(cfg.model, self.head_spec.build, num_classes, cfg.head.options, mean, std)
        head = model.head
        class_counts = torch.bincount(train.labels, minlength=num_classes).double()
        # Balanced sampling already evens the classes out; weighting the loss too would over-correct.
        if t.class_balanced_loss and not t.balanced_sampling:
            head.set_class_weights(inverse_frequency(class_counts))
        sample_weights = inverse_frequency(class_counts)[train.labels] if t.balanced_sampling else None
        channels_last = use_channels_last(cfg.model, device)
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
        if t.optimizer == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=t.lr, momentum=0.9, weight_decay=t.weight_decay)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=t.lr, weight_decay=t.weight_decay)
        loop = LoopState()
        if self._resume_from is not None:
            state, weights = self._resume_from
            try:
                model.load_state_dict(weights)
                optimizer.load_state_dict(state["optimizer"])
            except (RuntimeError, ValueError, KeyError) as error:
                first_line = (str(error).strip().splitlines() or [""])[0][:160]
                raise RunError(f"{run.path}: its checkpoint does not fit the model in config.toml ({first_line})") from None
            loop = LoopState.from_dict(state["loop"])
            torch.set_rng_state(state["torch_rng"])
        augmenter = BatchAugmenter(flip=t.augment_flip, shift=t.augment_shift)
        shown = snapshot_indices(val.labels, self.snapshot_images)
        shown_images, shown_labels = val.images[shown], val.labels[shown]

        run.save_config(cfg)
        info = {
            "class_names": list(data.class_names), "dataset_name": data.name,
            "head_id": self.head_spec.id, "primary_metric": head.primary_metric, "feature_shape": list(feature_shape(cfg.model)),
            "input_mean": mean.tolist(), "input_std": std.tolist(), "device": str(device), "threads": threads,
            "channels_last": channels_last,
            "split_sizes": {"train": len(train), "val": len(val), "test": len(test)},
            "skipped_files": [{"path": s.path, "reason": s.reason} for s in self.imageset.skipped],
        }
        if self._resume_from is None:
            info["created"] = now_iso()
        if self._resume_from is not None or run.file("metrics.jsonl").exists():
            run.truncate_metrics(loop.epoch)  # a restarted run forgets epochs it never saved
        run.mark_running(**info)
        self._started = True
        n_train, batch_size = len(train), t.batch_size
        # A trailing batch of one image is skipped (batch-norm cannot train on it); the
        # order is reshuffled every epoch, so no image is left out for good.
        starts = [s for s in range(0, n_train, batch_size) if n_train - s > 1 or s == 0]
        self._emit(RunStarted(
            str(run.path), tuple(data.class_names), len(train), len(val), len(test), t.epochs,
            loop.epoch + 1, str(device), threads, cfg.to_dict(),
            tuple((skipped.path, skipped.reason) for skipped in self.imageset.skipped), len(starts),
        ))
        reason, partial = "completed", False
        forward_s: float | None = None  # seconds per image of a forward pass, timed on the first snapshot
        forecast = EpochForecast(cfg.model, num_classes, n_train, len(val), len(starts))
        watch = FirstBatchWatch(forecast, self._warn_slow)
        stops = LayerStops(model, self.stop_requested, on_layer=watch).attach()
        try:
            snapshot_start = time.perf_counter()
            self._emit(take_snapshot(model, loop.epoch, shown_images, shown_labels))
            if len(shown):
                forward_s = (time.perf_counter() - snapshot_start) / len(shown)
                self._warn_slow(forecast.from_forward(forward_s), loop.epoch)
        except StopNow:
            reason = "cancelled"
        imbalance = imbalance_advice(class_counts.tolist(), list(data.class_names), t.class_balanced_loss, t.balanced_sampling)
        if imbalance and loop.epoch == 0:
            self._emit(Advice(0, "class_imbalance", imbalance))
        for code, message in self.notes:
            self._emit(Advice(loop.epoch, code, message))

        epoch_seconds: list[float] = []
        pacer = BatchPacer(self.batch_event_every)
        last_epoch = t.epochs if reason == "completed" else loop.epoch  # stopped already: no epoch
        if self._finish_only:
            last_epoch = loop.epoch
            if t.patience and loop.bad_epochs >= t.patience and loop.epoch < t.epochs:
                reason = "early_stopped"
        for epoch in range(loop.epoch + 1, last_epoch + 1):
            epoch_start = time.perf_counter()
            watch.start(epoch)
            lr = learning_rate(t.lr, t.lr_schedule, epoch, t.epochs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            torch.manual_seed(stream_seed(cfg.seed, epoch, 0))  # dropout
            order = epoch_order(n_train, sample_weights, torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 1)))
            augment_rng = torch.Generator().manual_seed(stream_seed(cfg.seed, epoch, 2))
            model.train()
            seen, correct, loss_sum = 0, 0, 0.0
            steps_before, stops.armed = loop.step, True
            pacer.restart()
            try:
                for batch_number, start in enumerate(starts, start=1):
                    if self.stop_requested():
                        raise StopNow("stop requested")
                    index = order[start : start + batch_size]
                    batch = train.images[index].float().div_(255)  # (n, 3, H, W) float in [0, 1]
                    targets = select_targets(train_targets, index)
                    if augmenter.enabled:
                        batch, targets.masks, targets.boxes = augmenter(batch, targets.masks, targets.boxes, augment_rng)
                    batch = batch.to(device, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
                    targets = targets.to(device)
                    outputs = model(batch)
                    loss = head.loss(outputs, targets)
                    if not torch.isfinite(loss):
                        kind = "NaN" if torch.isnan(loss) else "infinite"
                        raise TrainingError(
                            f"the loss became {kind} at epoch {epoch}, batch {batch_number}: the learning rate "
                            f"{t.lr:g} is probably too high; try {suggested_lr(t.lr):g}"
                        )
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    loop.step += 1
                    loss_value = loss.detach().item()
                    with torch.no_grad():
                        hits = int((decided_labels(head.predict(outputs)) == targets.labels).sum())
                    n = len(index)
                    seen, correct, loss_sum = seen + n, correct + hits, loss_sum + loss_value * n
                    if not forecast.batch_timed:
                        self._warn_slow(forecast.from_first_batch(time.perf_counter() - epoch_start, n), epoch)
                    if pacer.due(batch_number, len(starts)):
                        self._emit(BatchEnded(
                            epoch, batch_number, len(starts), loop.step, loss_value, hits / n,
                            seen / max(time.perf_counter() - epoch_start, 1e-9),
                        ))
                train_seconds = time.perf_counter() - epoch_start
                result = evaluate_tensors(model, val.images, val_targets, device=device, channels_last=channels_last)
            except StopNow:
                # Weights change only in optimizer.step(), never inside a hook, so they are whole here;
                # the epoch is not recorded, and resume redoes it.
                reason, partial = "cancelled", loop.step > steps_before
                break
            stops.armed = False  # from here on the epoch is recorded and saved in one piece
            metrics = {"loss": loss_sum / seen, "accuracy": correct / seen, "val_loss": result.loss}
            metrics.update({f"val_{name}": value for name, value in result.metrics.items()})
            is_best = loop.improved(score_of(metrics, head.primary_metric), result.loss)
            loop.epoch = epoch
            loop.history.append(dict(metrics))
            if is_best:
                loop.best_epoch, loop.best_score, loop.best_val_loss = epoch, score_of(metrics, head.primary_metric), result.loss
                loop.bad_epochs = 0
            else:
                loop.bad_epochs += 1
            seconds = time.perf_counter() - epoch_start
            loop.seconds += seconds
            epoch_seconds.append(seconds)
            images_per_s = seen / max(train_seconds, 1e-9)
            eta = sum(epoch_seconds) / len(epoch_seconds) * (t.epochs - epoch)
            run.append_metrics({
                "epoch": epoch, "metrics": metrics, "lr": lr, "seconds": seconds,
                "images_per_s": images_per_s, "is_best": is_best, "step": loop.step,
            })
            self._emit(EpochEnded(epoch, t.epochs, metrics, lr, images_per_s, eta, seconds, is_best))
            self._advise(loop, epoch, metrics)
            self._emit(take_snapshot(model, epoch, shown_images, shown_labels))
            self._save(model, optimizer, loop, partial=False, best=is_best)
            if t.patience and loop.bad_epochs >= t.patience and epoch < t.epochs:
                reason = "early_stopped"
                break

        stops.detach()
        if reason == "cancelled":
            self._save(model, optimizer, loop, partial=partial, best=False)

        # The final numbers come from the best checkpoint, on validation and test; a stopped run
        # whose evaluation would keep the person waiting reports the best epoch's validation numbers.
        final: dict[str, float] = {}
        slow = forward_s is not None and forward_s * (len(val) + len(test)) > FINAL_EVAL_BUDGET_S
        if reason == "cancelled" and slow:
            if 0 < loop.best_epoch <= len(loop.history):
                final = {k: v for k, v in loop.history[loop.best_epoch - 1].items() if k.startswith("val_")}
        else:
            if run.weights_path("best").exists():
                model.load_state_dict(run.load_weights("best"))
            for prefix, part in (("val", val), ("test", test)):
                if len(part):
                    result = evaluate_tensors(model, part.images, targets_of(part), device=device, channels_last=channels_last)
                    final[f"{prefix}_loss"] = result.loss
                    final.update({f"{prefix}_{name}": value for name, value in result.metrics.items()})
        seconds = time.perf_counter() - started
        finished = RunFinished(str(run.path), reason, loop.epoch, loop.best_epoch, final, seconds)
        run.write_summary({
            "reason": reason, "epochs_run": loop.epoch, "best_epoch": loop.best_epoch,
            "metrics": final, "seconds": seconds, "finished": now_iso(),
        })
        run.set_status("cancelled" if reason == "cancelled" else "finished", best_epoch=loop.best_epoch)
        self._emit(finished)
        return finished

    # ---- helpers ------------------------------------------------------------
    def _save(self, model: CNNModel, optimizer: torch.optim.Optimizer, loop: LoopState, *, partial: bool, best: bool) -> None:
        for which, path in write_checkpoint(self.run, model.state_dict(), optimizer, loop, partial=partial, best=best):
            self._emit(CheckpointWritten(loop.epoch, which, str(path)))

    def _warn_slow(self, message: str, epoch: int) -> None:
        if message:
            self._emit(Advice(epoch, "slow_epoch", message))

    def _advise(self, loop: LoopState, epoch: int, metrics: dict[str, float]) -> None:
        """Over-fitting advice the first time it applies, once per run (its numbers change every epoch)."""
        from cnnstudio.core.advice import overfitting_advice

        if "val_accuracy" not in metrics or loop.overfitting_shown:
            return
        message = overfitting_advice(epoch, metrics["accuracy"], metrics["val_accuracy"], history=loop.history[:-1])
        if message:
            self._emit(Advice(epoch, "overfitting", message))
            loop.overfitting_shown = True

    def _emit(self, event: Event) -> None:
        for observer in self.observers:
            try:
                observer(event)
            except Exception:  # an observer's bug must not stop training
                log.exception("observer %r failed on %s", observer, type(event).__name__)

    def _fail(self, message: str) -> None:
        try:
            if self._started:  # a refusal before training (damaged state, bad config) leaves the status alone
                self.run.set_status("failed", error=message)
        except Exception:
            log.exception("could not mark %s as failed", self.run.path)
        self._emit(RunFailed(str(self.run.path), message, traceback.format_exc()))


def _use_threads(threads: int) -> None:
    """Set torch's intra-op threads only when they change: the setting is process-wide, and setting it
    while another thread runs an operator can crash (it clears oneDNN's kernel cache under it)."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
