"""The app's shared state and the one place views go through: plugins, dataset, config, the training run.

Views never talk to each other; they call the controller and listen to its
signals. Slow work (importing torch, generating or decoding a dataset) runs
on a worker thread and comes back as a signal on the GUI thread; training
runs in a child process (``cnnstudio.app.training_process``) that a timer polls.

    controller.select_dataset("manufacturing.surfaces")   # -> dataset_loaded(spec, imageset)
    controller.set_config(config)                         # -> config_changed(config)
    controller.start_training()                           # -> run_state_changed("training"), run_event(event)...
"""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from cnnstudio.core.config import RunConfig
from cnnstudio.core.errors import CNNStudioError, NeedsLabelsError
from cnnstudio.gui.workers.background import prepare_torch
from cnnstudio.gui.workers.evaluation_loader import EvaluationLoader

if TYPE_CHECKING:  # for annotations only: these pull in torch or the plugins, which load on first use
    from cnnstudio.app.training_process import StandbyProcess, TrainingProcess
    from cnnstudio.core.data.imageset import ImageSet
    from cnnstudio.core.events import RunFailed, RunFinished
    from cnnstudio.core.specs import DatasetSpec
    from cnnstudio.host.manager import StudioPluginManager

log = logging.getLogger(__name__)

POLL_MS = 40  # how often the training child's events are drained
EVENTS_PER_POLL = 20  # at most this many per drain; the rest wait in the pipe for the next (none is dropped)
RUN_STATES = ("idle", "starting", "training", "stopping")


class StudioController(QObject):
    """Plugins, the chosen dataset and config, and the training child, with signals for the views.

    Signals carry ``object`` for core types (Qt cannot name them); the comment beside each says
    what arrives, so a slot can be annotated with the real type.
    """

    plugins_reloaded = Signal()  # (no payload) the plugin manager was replaced: re-read datasets and heads
    dataset_loading = Signal(str)  # id_or_folder: str, as given to select_dataset
    folder_opened = Signal(str)  # folder: str, absolute: a folder of the person's images was asked for (Label tab)
    dataset_loaded = Signal(object, object)  # spec: DatasetSpec, imageset: ImageSet (also set on the controller)
    dataset_failed = Signal(str, str)  # id_or_folder: str, message: str for people
    config_changed = Signal(object)  # config: RunConfig (the new self.config)
    run_state_changed = Signal(str)  # state: str, one of RUN_STATES
    run_event = Signal(object)  # event: cnnstudio.core.events.Event from the training child
    run_opened = Signal(str)  # run_dir: str, a run folder to show (a past run, or the one that just finished)
    message = Signal(str, str)  # severity: "info" | "warning" | "error", text: str
    startable_changed = Signal(bool, str)  # startable: bool, reason: str why not ("" when startable)
    # (no payload) Start was pressed: views save what they hold (the Label tab's labels) and may reload the
    # dataset; slots run before the run starts. A dataset still loading then starts the run when it has loaded.
    starting = Signal()

    def __init__(self, runs_root: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs_root: Path | None = runs_root  # where runs are written; None: the default runs folder
        self.config: RunConfig = RunConfig()
        self.spec: DatasetSpec | None = None  # the loaded dataset's descriptor
        self.imageset: ImageSet | None = None  # its images
        self.process: TrainingProcess | None = None  # while a run is on
        self.standby: StandbyProcess | None = None  # a warm child (torch already imported)
        self.run_state: str = "idle"  # one of RUN_STATES
        self.blocking_problem: str | None = None  # why the current model cannot train (from the Model tab)
        self._shut_down = False  # after shutdown() no child process is started any more
        self._manager: StudioPluginManager | None = None
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnstudio-load")
        self._loading: Future | None = None
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._loaded.connect(self._on_loaded)
        self.current_run: str = ""  # the run folder last opened or finished: what Evaluate, Threshold and Export show
        self.run_opened.connect(self._remember_run)
        # Evaluations of runs, shared by the Evaluate and Threshold views (made on a worker thread).
        self.evaluations: EvaluationLoader = EvaluationLoader(self)
        self._start_when_loaded = False  # Start was pressed while the dataset was loading
        self.needs_labels = False  # the last load failed only because the folder needs labels (Label tab)
        self._load_pending = False  # a dataset was asked for and its answer has not arrived on this thread

    def _remember_run(self, run_dir: str) -> None:
        self.current_run = run_dir

    # ---- plugins ----------------------------------------------------------------
    @property
    def manager(self) -> StudioPluginManager:
        """The plugin manager (created on first use; cheap, imports no torch)."""
        if self._manager is None:
            from cnnstudio.host.manager import get_plugin_manager

            self._manager = get_plugin_manager()
        return self._manager

    def reload_plugins(self) -> None:
        """Load the plugins again (after one was added or edited); answers with plugins_reloaded."""
        from cnnstudio.host.manager import get_plugin_manager

        self._manager = get_plugin_manager(reload=True)
        self._replace_standby()  # a standby child loaded the old plugins
        self.plugins_reloaded.emit()

    # ---- dataset ----------------------------------------------------------------
    # token, (spec, resolved options) or the id_or_folder that failed, imageset or None, error message
    _loaded = Signal(object, object, object, str)

    def select_dataset(self, id_or_folder: str, options: dict[str, Any] | None = None) -> None:
        """Load a dataset by id or folder on the worker thread; answers with dataset_loaded or dataset_failed."""
        self.dataset_loading.emit(id_or_folder)
        from cnnstudio.core.data.dataset_ids import dataset_folder

        folder = dataset_folder(id_or_folder) if id_or_folder not in self._known_ids() else None
        if folder is not None and folder.is_dir():
            self.folder_opened.emit(str(folder.expanduser().absolute()))
        token = object()
        self._token = token
        self._load_pending = True

        def load() -> None:
            self.needs_labels = False
            try:
                prepare_torch()  # datasets are torch tensors; see background.py for why this comes first
                spec = self.manager.dataset(id_or_folder)
                resolved = spec.resolve_options(options if options is not None else {})
                from cnnstudio.core.model.memory_budget import check_dataset_fits

                check_dataset_fits(spec, resolved)  # refuse in words before a MemoryError minutes later
                imageset = spec.load(resolved)
                self._loaded.emit(token, (spec, resolved), imageset, "")
            except NeedsLabelsError as error:  # not a fault: the Label tab opens (MainWindow), no error box
                self.needs_labels = True
                self._loaded.emit(token, id_or_folder, None, str(error))
            except CNNStudioError as error:
                self._loaded.emit(token, id_or_folder, None, str(error))
            except Exception as error:  # a plugin's bug: say so, keep the app alive
                log.error("loading %s failed:\n%s", id_or_folder, traceback.format_exc())
                self._loaded.emit(token, id_or_folder, None, f"{id_or_folder}: the dataset could not be loaded ({type(error).__name__}: {error})")

        self._loading = self._workers.submit(load)

    def _known_ids(self) -> set[str]:
        return set(self.manager.datasets()) if self._manager is not None else set()

    def _on_loaded(self, token: object, what: tuple[DatasetSpec, dict[str, Any]] | str,
                   imageset: ImageSet | None, error: str) -> None:
        if token is not getattr(self, "_token", None):
            return  # an older request finished after a newer one was made
        self._load_pending = False
        start, self._start_when_loaded = self._start_when_loaded, False
        if imageset is None or isinstance(what, str):
            self.dataset_failed.emit(str(what), error)
            self.message.emit("info" if self.needs_labels else "error", error)
            return
        spec, options = what
        self.spec, self.imageset = spec, imageset
        same_dataset = spec.id == self.config.dataset.id
        dataset = replace(self.config.dataset, id=spec.id, options=dict(options))
        # Another dataset may pose another task: its default head, unless the person picks one again.
        head = self.config.head if same_dataset else replace(self.config.head, id="")
        self.config = replace(self.config, dataset=dataset, head=head)
        self.dataset_loaded.emit(spec, imageset)
        self.config_changed.emit(self.config)
        if start:
            QTimer.singleShot(0, self.start_training)  # after the views have shown the dataset (Model tab checks)

    # ---- config -----------------------------------------------------------------
    def set_config(self, config: RunConfig) -> None:
        """Replace the run config (views edit copies and hand them back here)."""
        self.config = config
        self.config_changed.emit(config)

    def set_blocking_problem(self, problem: str | None) -> None:
        """Record why the current config cannot train (None: it can); Start is refused with that reason."""
        problem = problem or None
        if problem != self.blocking_problem:
            self.blocking_problem = problem
            self.startable_changed.emit(problem is None, problem or "")

    # ---- training ---------------------------------------------------------------
    def start_training(self) -> bool:
        """Start a run of the current config in a child process; False (with a message) when it cannot start."""
        if self.process is not None:
            self.message.emit("warning", "A run is already training; stop it first.")
            return False
        if self._shut_down:
            return False
        self.starting.emit()
        if self._load_pending:
            self._start_when_loaded = True
            self.message.emit("info", "Loading the dataset first: training starts as soon as it has loaded.")
            return True
        if self.blocking_problem:
            self.message.emit("error", f"Cannot start: {self.blocking_problem}")
            return False
        try:
            config = self.config.validate()
        except CNNStudioError as error:
            self.message.emit("error", f"Cannot start: {error}")
            return False
        from cnnstudio.core.data.dataset_ids import dataset_folder

        folder = dataset_folder(config.dataset.id)
        if folder is not None and not folder.is_dir():  # the child reads the folder again from disk
            self.message.emit("error", f"Cannot start: the folder {folder} was moved or deleted after it was "
                                       f"opened. Put it back, or open it where it is now (File > Open image folder).")
            return False
        from cnnstudio.app.training_process import TrainingProcess

        self._launch(TrainingProcess(config, runs_root=self.runs_root))
        return True

    def resume_training(self, run_dir: str) -> bool:
        """Continue a stopped run in its own folder from its last checkpoint (its own config and dataset)."""
        if self.process is not None:
            self.message.emit("warning", "A run is already training; stop it first.")
            return False
        if self._shut_down:
            return False
        from cnnstudio.app.training_process import TrainingProcess
        from cnnstudio.core.runs.folder import RunFolder

        try:
            config = RunFolder(run_dir).load_config()
        except CNNStudioError as error:
            self.message.emit("error", f"Cannot resume: {error}")
            return False
        self._launch(TrainingProcess(config, run_dir=Path(run_dir), resume=True))
        self.message.emit("info", f"Resuming {Path(run_dir).name} from its last checkpoint...")
        return True

    def _launch(self, process: TrainingProcess) -> None:
        self.process = process
        standby, self.standby = self.standby, None
        process.start(standby)
        self._set_state("starting")
        self._poll_timer.start()

    def stop_training(self) -> None:
        """Ask the run to stop; it saves everything done so far and ends "cancelled" within seconds.

        The trainer stops between layers; a child that still runs a few seconds later is killed by
        ``TrainingProcess.poll`` and the run is reported cancelled all the same (state: stopping -> idle).
        """
        if self.process is not None:
            self.process.request_stop()
            self._set_state("stopping")

    def prepare_standby(self) -> None:
        """Spawn a child that imports torch now, so the next Start begins at once."""
        if self._shut_down:
            return  # a timer set before the window closed must not leave a child behind
        if self.standby is None or not self.standby.is_alive:
            from cnnstudio.app.training_process import StandbyProcess

            self.standby = StandbyProcess()

    def _replace_standby(self) -> None:
        if self.standby is not None:
            self.standby.close()
            self.standby = None
            self.prepare_standby()

    def _poll(self) -> None:
        process = self.process
        if process is None:
            self._poll_timer.stop()
            return
        from cnnstudio.core.events import Advice, RunFailed, RunFinished, RunStarted

        for event in process.poll(EVENTS_PER_POLL):
            if isinstance(event, RunStarted):
                self._set_state("training" if self.run_state != "stopping" else "stopping")
            self.run_event.emit(event)
            if isinstance(event, Advice) and event.code == "slow_epoch":
                self.message.emit("warning", event.message)
            if isinstance(event, RunFailed):
                self.message.emit("error", f"Training failed: {event.message}")
            if isinstance(event, (RunFinished, RunFailed)):
                self._finish(process, event)
                return

    def _finish(self, process: TrainingProcess, event: RunFinished | RunFailed) -> None:
        self._poll_timer.stop()
        # The child has sent its last event; waiting for it to exit takes seconds, so not on this thread.
        threading.Thread(target=process.close, kwargs={"timeout": 10.0}, name="cnnstudio-reap", daemon=True).start()
        self.process = None
        self._set_state("idle")
        run_dir = getattr(event, "run_dir", "") or process.run_dir
        if run_dir and Path(run_dir).exists():
            self.run_opened.emit(str(run_dir))
        self.prepare_standby()

    def _set_state(self, state: str) -> None:
        if state != self.run_state:
            self.run_state = state
            self.run_state_changed.emit(state)

    def shutdown(self) -> None:
        """Stop the run (it saves) and every child; called when the window closes."""
        self._shut_down = True
        self._poll_timer.stop()
        if self.process is not None:
            self.process.close(timeout=3.0)
            self.process = None
        if self.standby is not None:
            self.standby.close()
            self.standby = None
        self._workers.shutdown(wait=False, cancel_futures=True)
