"""The Trainer: one fit, read top to bottom, that emits events and saves a run folder.

``_fit`` reads as its steps: start a session (data, model and optimizer:
``fit_session.py``), the first snapshot, the epochs (each one in
``train_epoch.py``, then ``_end_epoch`` records and checkpoints it:
``checkpoint.py``), and ``_finish`` (final evaluation, summary, status).

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from cnnstudio.core.atomic import describe_os_error
from cnnstudio.core.config import RunConfig
from cnnstudio.core.data.augment import BatchAugmenter
from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.data.imbalance import imbalance_advice
from cnnstudio.core.errors import CNNStudioError, RunError
from cnnstudio.core.evaluate.evaluation import evaluate_tensors
from cnnstudio.core.events import Advice, CheckpointWritten, EpochEnded, Event, RunFailed, RunFinished, RunStarted
from cnnstudio.core.model.network import CNNModel, feature_shape
from cnnstudio.core.model.summary import require_trainable
from cnnstudio.core.runs.checkpoint import write_checkpoint
from cnnstudio.core.runs.folder import RunFolder, now_iso
from cnnstudio.core.runs.loop_state import LoopState, learning_rate, score_of
from cnnstudio.core.specs import HeadSpec
from cnnstudio.core.train.batches import BatchSource
from cnnstudio.core.train.device import resolve_device, resolve_threads, use_channels_last
from cnnstudio.core.train.distributed import World, process_device
from cnnstudio.core.train.epoch import EpochTotals, train_epoch
from cnnstudio.core.train.final_metrics import final_metrics
from cnnstudio.core.train.fit_session import FitSession, batch_starts, build_fit_model, prepare_fit_data
from cnnstudio.core.train.pace import BatchPacer, EpochForecast, FirstBatchWatch, LayerStops, StopNow
from cnnstudio.core.train.placement import autocast_dtype, gradient_scaler, train_wrapper
from cnnstudio.core.train.resume_state import attempt, read_resume
from cnnstudio.core.train.snapshot import snapshot_indices, take_snapshot

log = logging.getLogger(__name__)
Observer = Callable[[Event], None]
GPU_REPORT_EVERY = 50  # on an accelerator a batch is reported (read back, a wait) at most every this many batches


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
        world: World | None = None,
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
        # Under torchrun every process trains; rank 0 alone writes the run folder and reports.
        self.world = world or World()
        self._resume_from: tuple[dict[str, Any], dict[str, torch.Tensor]] | None = None
        self._synchronised = ""  # how batch-norm statistics are shared across processes ("" on one)
        self._finish_only = False  # resume of a run killed after its last epoch: evaluate and summarise
        self._started = False  # the run's status is this session's to change only once training started

    @classmethod
    def resume(
        cls, run_dir: Path, imageset: ImageSet, head_spec: HeadSpec, *, epochs: int | None = None,
        observers: Sequence[Observer] = (), stop_requested: Callable[[], bool] | None = None, **kwargs: Any,
    ) -> Trainer:
        """A Trainer that continues ``run_dir`` from its last saved epoch (to ``epochs`` if given).

        Under torchrun rank 0 reads the run folder and hands the checkpoint to the other processes, so
        their number may differ from the run's, and other machines need no copy of the folder.
        """
        world = kwargs.get("world") or World()
        if world.distributed:
            outcome = world.share_object(attempt(lambda: read_resume(run_dir, epochs)) if world.is_main else None)
            if isinstance(outcome, Exception):
                raise outcome
            config, state, weights, repairs, trained = outcome
        else:
            config, state, weights, repairs, trained = read_resume(run_dir, epochs)
        trainer = cls(config, imageset, head_spec, Path(run_dir), observers=observers, stop_requested=stop_requested,
                      **kwargs)
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
        started = time.perf_counter()
        session = self._start_session()
        reason = self._first_snapshot(session)
        self._start_advice(session)
        reason, partial = self._train_epochs(session, reason)
        session.stops.detach()
        if reason == "cancelled":
            self._save(session, partial=partial, best=False)
        return self._finish(session, reason, started)

    def _start_session(self) -> FitSession:
        """Data, model and optimizer (restored when resuming), recorded in run.json; then RunStarted."""
        cfg, t, run, world = self.config, self.config.training, self.run, self.world
        device = process_device(resolve_device(cfg.device), world)
        precision = autocast_dtype(t.precision, device)
        threads = resolve_threads(cfg.threads)
        _use_threads(threads)
        if device.type == "cpu":
            torch.use_deterministic_algorithms(True, warn_only=True)
        torch.manual_seed(cfg.seed)
        data = prepare_fit_data(self.imageset, cfg)
        model, optimizer, sample_weights = build_fit_model(cfg, self.head_spec, data)
        channels_last = use_channels_last(cfg.model, device)
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
        loop = self._restore(model, optimizer)
        trained, synchronised = train_wrapper(model, device, world)
        self._synchronised = synchronised
        starts = batch_starts(len(data.train), t.batch_size)
        forecast = EpochForecast(cfg.model, data.all.num_classes, len(data.train), len(data.val), len(starts))
        watch = FirstBatchWatch(forecast, self._warn_slow)
        shown = snapshot_indices(data.val.labels, self.snapshot_images)
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        batches = BatchSource.for_run(data.train.images, data.train_targets,
                                      BatchAugmenter(flip=t.augment_flip, shift=t.augment_shift),
                                      device, memory_format, world)
        # A stop inside a layer would leave the other processes waiting in a collective: with several,
        # stops fall between batches, agreed by all (epoch.py).
        layer_stops = self.stop_requested if not world.distributed else (lambda: False)
        every = self.batch_event_every if device.type == "cpu" else max(self.batch_event_every, GPU_REPORT_EVERY)
        session = FitSession(
            data, model, optimizer, loop, device, channels_last, sample_weights, starts, forecast, watch,
            LayerStops(model, layer_stops, on_layer=watch), BatchPacer(every),
            (data.val.images[shown], data.val.labels[shown]), world, trained, batches, precision,
            gradient_scaler(t.precision, device),
        )
        self._record_start(session, threads)
        self._emit(RunStarted(
            str(run.path), tuple(data.all.class_names), len(data.train), len(data.val), len(data.test), t.epochs,
            loop.epoch + 1, str(device), threads, cfg.to_dict(),
            tuple((skipped.path, skipped.reason) for skipped in self.imageset.skipped), len(starts),
        ))
        session.stops.attach()
        return session

    def _restore(self, model: CNNModel, optimizer: torch.optim.Optimizer) -> LoopState:
        """The loop's counters: fresh, or the resumed checkpoint's (with its weights, optimizer and RNG)."""
        if self._resume_from is None:
            return LoopState()
        state, weights = self._resume_from
        try:
            model.load_state_dict(weights)
            optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as error:
            first_line = (str(error).strip().splitlines() or [""])[0][:160]
            raise RunError(f"{self.run.path}: its checkpoint does not fit the model in config.toml ({first_line})") from None
        torch.set_rng_state(state["torch_rng"])
        return LoopState.from_dict(state["loop"])

    def _record_start(self, s: FitSession, threads: int) -> None:
        """config.toml and run.json (status running, with this process's pid); from here a failure is the run's."""
        cfg, run, data = self.config, self.run, s.data
        run.save_config(cfg)
        info = {
            "class_names": list(data.all.class_names), "dataset_name": data.all.name, "head_id": self.head_spec.id,
            "primary_metric": s.model.head.primary_metric, "feature_shape": list(feature_shape(cfg.model)),
            "input_mean": data.mean.tolist(), "input_std": data.std.tolist(), "device": str(s.device),
            "threads": threads, "channels_last": s.channels_last, "world_size": self.world.size,
            "precision": cfg.training.precision, "batches": s.batches.where,
            "split_sizes": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
            "skipped_files": [{"path": skipped.path, "reason": skipped.reason} for skipped in self.imageset.skipped],
        }
        if self.world.distributed:
            info.update(backend=self.world.backend, batch_norm_sync=self._synchronised)
        self._started = True
        if not self.world.is_main:
            return
        if self._resume_from is None:
            info["created"] = now_iso()
        if self._resume_from is not None or run.file("metrics.jsonl").exists():
            run.truncate_metrics(s.loop.epoch)  # a restarted run forgets epochs it never saved
        run.mark_running(**info)

    def _first_snapshot(self, s: FitSession) -> str:
        """Show the model before training and time its forward pass for the epoch estimate;
        "cancelled" when Stop came first, else "completed". Only rank 0 reports."""
        if not self.world.is_main:
            return "completed"
        try:
            start = time.perf_counter()
            self._emit(take_snapshot(s.model, s.loop.epoch, *s.shown))
            if len(s.shown[0]):
                s.forward_s = (time.perf_counter() - start) / len(s.shown[0])
                self._warn_slow(s.forecast.from_forward(s.forward_s), s.loop.epoch)
        except StopNow:
            return "cancelled"
        return "completed"

    def _start_advice(self, s: FitSession) -> None:
        t = self.config.training
        names = list(s.data.all.class_names)
        imbalance = imbalance_advice(s.data.class_counts().tolist(), names, t.class_balanced_loss, t.balanced_sampling)
        if imbalance and s.loop.epoch == 0:
            self._emit(Advice(0, "class_imbalance", imbalance))
        for code, message in self.notes:
            self._emit(Advice(s.loop.epoch, code, message))

    def _train_epochs(self, s: FitSession, reason: str) -> tuple[str, bool]:
        """Train the epochs left; the end reason and whether a stop fell inside an epoch's updates."""
        t, loop = self.config.training, s.loop
        last_epoch = t.epochs if reason == "completed" else loop.epoch  # stopped already: no epoch
        if self._finish_only:
            last_epoch = loop.epoch
            if t.patience and loop.bad_epochs >= t.patience and loop.epoch < t.epochs:
                reason = "early_stopped"
        for epoch in range(loop.epoch + 1, last_epoch + 1):
            epoch_start, steps_before = time.perf_counter(), loop.step
            try:
                totals = train_epoch(s, self.config, epoch, epoch_start, self.stop_requested, self._emit,
                                     self._warn_slow)
                result = self._validate(s)
            except StopNow:
                # Weights change only in optimizer.step(), never inside a hook, so they are whole here;
                # the epoch is not recorded, and resume redoes it.
                return "cancelled", loop.step > steps_before
            s.stops.armed = False  # from here on the epoch is recorded and saved in one piece
            if self._end_epoch(s, epoch, epoch_start, totals, result):
                return "early_stopped", False
        return reason, False

    def _validate(self, s: FitSession) -> Any:
        """The epoch's validation result. Under torchrun rank 0 evaluates (with its batch-norm statistics,
        shared with all) and hands the result over, so every process takes the same decisions."""
        s.world.share_buffers(s.model)
        result = None
        if s.world.is_main:
            result = evaluate_tensors(s.model, s.data.val.images, s.data.val_targets, device=s.device,
                                      channels_last=s.channels_last)
        return s.world.share_object(result)

    def _end_epoch(self, s: FitSession, epoch: int, epoch_start: float, totals: EpochTotals, result: Any) -> bool:
        """Record the epoch (metrics, best, advice, snapshot, checkpoint); True when early stopping ends the run."""
        t, loop, head = self.config.training, s.loop, s.model.head
        lr = learning_rate(t.lr, t.lr_schedule, epoch, t.epochs)
        metrics = {"loss": totals.loss_sum / totals.seen, "accuracy": totals.correct / totals.seen, "val_loss": result.loss}
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
        s.epoch_seconds.append(seconds)
        images_per_s = totals.seen / max(totals.train_seconds, 1e-9)
        eta = sum(s.epoch_seconds) / len(s.epoch_seconds) * (t.epochs - epoch)
        if self.world.is_main:
            self.run.append_metrics({
                "epoch": epoch, "metrics": metrics, "lr": lr, "seconds": seconds,
                "images_per_s": images_per_s, "is_best": is_best, "step": loop.step,
            })
            self._emit(EpochEnded(epoch, t.epochs, metrics, lr, images_per_s, eta, seconds, is_best))
            self._advise(loop, epoch, metrics)
            self._emit(take_snapshot(s.model, epoch, *s.shown))
        self._save(s, partial=False, best=is_best)
        return bool(t.patience and loop.bad_epochs >= t.patience and epoch < t.epochs)

    def _finish(self, s: FitSession, reason: str, started: float) -> RunFinished:
        """Final numbers from the best checkpoint (``final_metrics``), summary.json, the status; RunFinished."""
        run, loop = self.run, s.loop
        if not self.world.is_main:  # rank 0 evaluates and writes the summary; the others only trained
            return RunFinished(str(run.path), reason, loop.epoch, loop.best_epoch, {}, time.perf_counter() - started)
        final = final_metrics(s, run, reason)
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
    def _save(self, s: FitSession, *, partial: bool, best: bool) -> None:
        if not self.world.is_main:
            return
        for which, path in write_checkpoint(self.run, s.model.state_dict(), s.optimizer, s.loop, partial=partial, best=best):
            self._emit(CheckpointWritten(s.loop.epoch, which, str(path)))

    def _warn_slow(self, message: str, epoch: int) -> None:
        if message:
            self._emit(Advice(epoch, "slow_epoch", message))

    def _advise(self, loop: LoopState, epoch: int, metrics: dict[str, float]) -> None:
        """Over-fitting advice the first time it applies, once per run (its numbers change every epoch)."""
        from cnnstudio.core.train.advice import overfitting_advice

        if "val_accuracy" not in metrics or loop.overfitting_shown:
            return
        message = overfitting_advice(epoch, metrics["accuracy"], metrics["val_accuracy"], history=loop.history[:-1])
        if message:
            self._emit(Advice(epoch, "overfitting", message))
            loop.overfitting_shown = True

    def _emit(self, event: Event) -> None:
        if not self.world.is_main:  # one voice: rank 0 reports for all processes
            return
        for observer in self.observers:
            try:
                observer(event)
            except Exception:  # an observer's bug must not stop training
                log.exception("observer %r failed on %s", observer, type(event).__name__)

    def _fail(self, message: str) -> None:
        try:
            if self._started and self.world.is_main:  # a refusal before training (damaged state, bad config) leaves the status alone
                self.run.set_status("failed", error=message)
        except Exception:
            log.exception("could not mark %s as failed", self.run.path)
        self._emit(RunFailed(str(self.run.path), message, traceback.format_exc()))


def _use_threads(threads: int) -> None:
    """Set torch's intra-op threads only when they change: the setting is process-wide, and setting it
    while another thread runs an operator can crash (it clears oneDNN's kernel cache under it)."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
