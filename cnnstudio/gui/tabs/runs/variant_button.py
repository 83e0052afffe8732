"""VariantButton: "Try a variant" of a finished run, trained at once and compared when it finishes.

Two clicks answer the lesson's "max vs average pooling: does accuracy change?":
the button opens a menu of ``cnnstudio.core.model.variants`` (click 1), picking one
(click 2) sets the controller's config to the run's own config with that one
change (same dataset, options and seed) and starts training in the child
process. The child loads the dataset named in the config itself, so nothing
needs to be loaded in the Data tab. When the new run finishes
(``controller.run_opened``), ``variant_finished(original, new)`` asks the Runs
tab to compare the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from cnnstudio.core.errors import CNNStudioError

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

IDLE_TIP = ("Train this run again with one change (same dataset, same seed) and compare the two when it finishes: "
            "the lesson's mini challenges in two clicks.")


class VariantButton(QToolButton):
    """A drop-down of lesson variants for the run set with ``set_run``."""

    variant_started = Signal(str, str)  # original run folder, variant title
    variant_finished = Signal(str, str)  # original run folder, the variant's run folder
    progress = Signal(str)  # a line for the Runs tab's status

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.run_dir = ""
        self.pending: tuple[str, str] | None = None  # (original run, variant title) while the variant trains
        self._variant_dir = ""  # the variant's run folder, once the child names it
        self.setText("Try a variant")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)  # one click opens the menu
        self.setMenu(QMenu(self))
        self.setToolTip(IDLE_TIP)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setMinimumWidth(self.sizeHint().width() + 16)  # room for the menu arrow next to the text
        controller.run_opened.connect(self._on_run_opened)
        controller.run_event.connect(self._on_event)
        self.set_run("")

    def set_run(self, run_dir: str) -> None:
        """Offer the variants of ``run_dir`` ("" or an unreadable run: the button is disabled)."""
        self.run_dir = run_dir
        menu = self.menu()
        menu.clear()
        config = None
        if run_dir:
            from cnnstudio.core.runs.folder import RunFolder

            try:
                config = RunFolder(run_dir).load_config()
            except CNNStudioError:
                config = None
        if config is not None:
            from cnnstudio.core.model.variants import variants_for

            for variant in variants_for(config):
                action = QAction(variant.title, menu)
                action.setToolTip(variant.lesson if not variant.unavailable else f"Not here: {variant.unavailable}")
                action.setEnabled(not variant.unavailable)
                action.setData(variant.id)
                action.triggered.connect(lambda _checked=False, v=variant.id: self.start(v))
                menu.addAction(action)
            menu.setToolTipsVisible(True)
        self.setEnabled(config is not None)

    def actions_by_title(self) -> dict[str, QAction]:
        """The menu's actions by their text (what a person reads in the menu)."""
        return {action.text(): action for action in self.menu().actions()}

    def start(self, variant_id: str) -> bool:
        """Train the variant ``variant_id`` of the current run; False (with a message) when it cannot start."""
        if self.controller.process is not None or self.controller.run_state != "idle":
            self.controller.message.emit("warning", "A run is already training: wait for it to finish (or stop it in "
                                                    "the Train tab), then try the variant.")
            return False
        from cnnstudio.core.model.variants import variant_by_id
        from cnnstudio.core.runs.folder import RunFolder

        original = self.run_dir
        try:
            config = RunFolder(original).load_config()
            variant = variant_by_id(config, variant_id)
            new_config = variant.apply(config)
        except CNNStudioError as error:
            self.controller.message.emit("error", f"Cannot try the variant: {error}")
            return False
        self.controller.set_config(new_config)
        if self.controller.blocking_problem:
            # The reason was about the config just replaced; the Model tab checks the new one again.
            self.controller.set_blocking_problem(None)
        if not self.controller.start_training():
            return False
        self.pending, self._variant_dir = (original, variant.title), ""
        self.variant_started.emit(original, variant.title)
        self.progress.emit(f"Training \"{variant.title}\" of {_name(original)}: the comparison appears here when "
                           "it finishes.")
        return True

    def _on_event(self, event: Any) -> None:
        if self.pending is None:
            return
        kind = type(event).__name__
        if getattr(event, "run_dir", ""):
            self._variant_dir = str(event.run_dir)  # RunStarted, RunFinished, RunFailed name the new folder
        if kind == "EpochEnded":
            self.progress.emit(f"Training \"{self.pending[1]}\" of {_name(self.pending[0])}: epoch {event.epoch} of "
                               f"{event.epochs} done; the comparison appears here when it finishes.")
        elif kind == "RunFailed":
            self.progress.emit(f"\"{self.pending[1]}\" of {_name(self.pending[0])} failed: {event.message}")

    def _on_run_opened(self, run_dir: str) -> None:
        if self.pending is None or self.controller.process is not None or run_dir != self._variant_dir:
            return  # a run opened by hand, not the variant finishing
        original, _title = self.pending
        self.pending = None
        self.variant_finished.emit(original, run_dir)


def _name(run_dir: str) -> str:
    from pathlib import Path

    return Path(run_dir).name
