"""The main window: the dataset list on the left, one tab per activity, menus, status bar, remembered layout."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget

from cnnstudio import __version__
from cnnstudio.core.data.dataset_ids import folder_dataset_id
from cnnstudio.gui.controller import StudioController
from cnnstudio.gui.tabs.data.data_view import DataView
from cnnstudio.gui.tabs.evaluate.evaluation_view import EvaluationView
from cnnstudio.gui.tabs.filters.filters_view import FiltersView
from cnnstudio.gui.tabs.label.label_view import LabelView
from cnnstudio.gui.tabs.model.model_view import ModelView
from cnnstudio.gui.tabs.predict.predict_view import PredictView
from cnnstudio.gui.tabs.runs.runs_view import RunsView
from cnnstudio.gui.tabs.threshold.threshold_view import ThresholdView
from cnnstudio.gui.tabs.train.train_view import TrainView
from cnnstudio.gui.widgets.dataset_panel import DatasetPanel
from cnnstudio.gui.widgets.icons import app_icon, icon
from cnnstudio.gui.widgets.run_text import threads_text
from cnnstudio.gui.widgets.wheel_guard import install_wheel_guard
from cnnstudio.gui.workers.report_action import ReportAction

DEFAULT_DATASET = "retail.products"
ABOUT = (
    "<h3>CNN Studio {version}</h3>"
    "<p>A workbench for prototyping small convolutional networks for business imaging: "
    "retail product photos, surface defects, document forgery, brand logos.</p>"
    "<p>It grew from one teaching model, the lesson's SimpleCNN, and turns each of its lessons "
    "into something you can run and see. Everything runs on your machine; nothing is downloaded.</p>"
)
# Menu text -> the name of its icon in cnnstudio.gui.widgets.icons.
MENU_ICONS = {
    "Open image &folder...": "open", "Open &image to try...": "open-image", "Open run &config...": "open-config",
    "&Save run config as...": "save", "&Export model...": "export", "&Preferences...": "preferences",
    "&Quit": "quit", "&Start training": "start", "S&top training": "stop", "&Full screen": "full-screen",
    "&Plugins...": "plugins", "&Reload plugins": "reload", "&User guide": "help",
    "&Keyboard shortcuts": "shortcuts", "&About CNN Studio": "about", "&Open run folder...": "open-run-folder",
    "Train &with torchrun...": "torchrun",
}


class MainWindow(QMainWindow):
    """CNN Studio's window. Tabs: Data, Label, Model, Train, Filters, Try it, Evaluate, Threshold, Runs."""

    def __init__(self, controller: StudioController | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        install_wheel_guard()  # the wheel scrolls pages, never an unfocused setting (idempotent)
        self.controller = controller or StudioController(parent=self)
        self.setWindowTitle("CNN Studio")
        self.setWindowIcon(app_icon())
        self.settings = settings or QSettings("CNN Studio", "CNN Studio")

        self.dataset_panel = DatasetPanel(self.controller, self)
        self.tabs = QTabWidget(self)
        self.data_view = DataView(self.controller, self)
        self.label_view = LabelView(self.controller, self)
        self.model_view = ModelView(self.controller, self)
        self.train_view = TrainView(self.controller, self)
        self.filters_view = FiltersView(self.controller, self)
        self.predict_view = PredictView(self.controller, self)
        self.evaluation_view = EvaluationView(self.controller, self)
        self.threshold_view = ThresholdView(self.controller, self)
        self.runs_view = RunsView(self.controller, self)
        for view, title in (
            (self.data_view, "Data"), (self.label_view, "Label"), (self.model_view, "Model"), (self.train_view, "Train"),
            (self.filters_view, "Filters && feature maps"), (self.predict_view, "Try an image"),
            (self.evaluation_view, "Evaluate"), (self.threshold_view, "Threshold"), (self.runs_view, "Runs"),
        ):
            self.tabs.addTab(view, title)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.dataset_panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)

        self.state_label = QLabel("idle")
        self.device_label = QLabel("")
        self.statusBar().addPermanentWidget(self.device_label)
        self.statusBar().addPermanentWidget(self.state_label)
        self._build_menus()
        saved_workspace = self.settings.value("preferences/workspace")
        if self.controller.runs_root is None and isinstance(saved_workspace, str) and saved_workspace:
            self.controller.runs_root = Path(saved_workspace)
        self.controller.run_event.connect(self._on_run_event)
        self.evaluation_view.try_image.connect(self._try_evaluated_image)
        self.evaluation_view.fix_label.connect(self._fix_label)
        self.controller.dataset_failed.connect(self._on_dataset_failed)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._show_threads()
        self.controller.message.connect(self.show_message)
        self.model_view.validity_changed.connect(lambda ok, reason: self.controller.set_blocking_problem(None if ok else reason))
        self.controller.startable_changed.connect(self._on_startable)
        self.controller.run_state_changed.connect(self._on_run_state)
        self._restore_layout()

    # ---- menus ------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_folder_action = self._action(file_menu, "Open image &folder...", QKeySequence.StandardKey.Open,
                                               self.dataset_panel.choose_folder)
        self._action(file_menu, "Open &image to try...", "Ctrl+I", self._try_image)
        file_menu.addSeparator()
        self._action(file_menu, "Open run &config...", "Ctrl+Shift+O", self.open_config)
        self._action(file_menu, "&Save run config as...", QKeySequence.StandardKey.Save, self.save_config)
        self._action(file_menu, "&Open run folder...", None, self.open_run_folder)
        file_menu.addSeparator()
        # Not Ctrl+E: a focused text or spin box takes that for "end of line" and the export never opens.
        self.export_action = self._action(file_menu, "&Export model...", "Ctrl+Shift+E", self.show_export)
        self.export_action.setStatusTip("Save the current run as ONNX or TorchScript, preprocessing and threshold inside, "
                                        "checked against PyTorch")
        self.report_action = ReportAction(self.controller, self)
        self.report_action.action.setIcon(icon("report"))
        file_menu.addAction(self.report_action.action)
        file_menu.addSeparator()
        self._action(file_menu, "&Preferences...", QKeySequence.StandardKey.Preferences, self.show_preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        train_menu = bar.addMenu("&Train")
        self.start_action = self._action(train_menu, "&Start training", "Ctrl+R", self.controller.start_training)
        self.stop_action = self._action(train_menu, "S&top training", "Ctrl+.", self.controller.stop_training)
        self.stop_action.setEnabled(False)
        train_menu.addSeparator()
        self._action(train_menu, "Train &with torchrun...", None, self.show_torchrun).setStatusTip(
            "The torchrun commands that train these settings on several processes or machines, to copy")

        view_menu = bar.addMenu("&View")
        self.full_screen_action = self._action(view_menu, "&Full screen", QKeySequence.StandardKey.FullScreen,
                                               self._toggle_full_screen)
        self.full_screen_action.setCheckable(True)

        plugins_menu = bar.addMenu("&Plugins")
        self._action(plugins_menu, "&Plugins...", None, self.show_plugins)
        self._action(plugins_menu, "&Reload plugins", None, self.controller.reload_plugins)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&User guide", QKeySequence.StandardKey.HelpContents, self.show_user_guide)
        self._action(help_menu, "&Keyboard shortcuts", "Ctrl+/", self.show_shortcuts)
        help_menu.addSeparator()
        self._action(help_menu, "&About CNN Studio", None, self.show_about)

    def _action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if text in MENU_ICONS:
            action.setIcon(icon(MENU_ICONS[text]))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        return action

    def _try_image(self) -> None:
        self.tabs.setCurrentWidget(self.predict_view)
        self.predict_view.choose_image()

    def _try_evaluated_image(self, run_dir: str, image: object, name: str) -> None:
        """A double-clicked Evaluate tile, opened in Try an image with its run."""
        self.tabs.setCurrentWidget(self.predict_view)
        self.predict_view.predict_image(image, name, run_dir)

    def _fix_label(self, source: str, decided: str) -> None:
        """An Evaluate tile to relabel: shown in the Label tab, where the fix is saved for the next run."""
        if self.label_view.show_source(source, decided):
            self.tabs.setCurrentWidget(self.label_view)

    def _on_dataset_failed(self, what: str, _message: str) -> None:
        """A folder of photos with no labels yet cannot train: the Label tab is where it goes next."""
        labels = self.label_view.labels
        if labels is not None and not labels.counted() and str(labels.root) in (what, str(Path(what).absolute())):
            self.tabs.setCurrentWidget(self.label_view)

    def _on_tab_changed(self, _index: int) -> None:
        """Leaving the Label tab with new labels: load the folder again, so the other tabs and Start see them."""
        if self.tabs.currentWidget() is not self.label_view:
            self.label_view.reload_dataset_if_changed()

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def open_config(self, path: str | None = None) -> None:
        """Load a run config TOML (a run folder's config.toml works): model, training and its dataset."""
        from cnnstudio.core.config import RunConfig
        from cnnstudio.core.errors import CNNStudioError

        path = path or QFileDialog.getOpenFileName(self, "Open run config", "", "Run config (*.toml)")[0]
        if not path:
            return
        try:
            config = RunConfig.load(path)
        except CNNStudioError as error:
            self.show_message("error", str(error))
            return
        self.controller.set_config(config)
        self.controller.select_dataset(config.dataset.id, config.dataset.options)
        self.statusBar().showMessage(f"Opened {path}", 10_000)

    def save_config(self, path: str | None = None) -> None:
        """Save the current run config as TOML (``cnnstudio train --config FILE`` trains it headless)."""
        path = path or QFileDialog.getSaveFileName(self, "Save run config", "run.toml", "Run config (*.toml)")[0]
        if not path:
            return
        try:
            self.controller.config.validate().save(path)
        except Exception as error:  # a ConfigError or an OSError, both readable
            self.show_message("error", f"{path}: not saved ({error})")
            return
        from cnnstudio.gui.widgets.run_identity import training_dataset

        _, title = training_dataset(self.controller)  # the loaded dataset, which need not be the selected one
        self.statusBar().showMessage(f"Saved {path} (dataset {title}); train it headless with: "
                                     f"cnnstudio train --config {path}", 15_000)

    def open_run_folder(self) -> None:
        """File > Open run folder...: a run from anywhere (copied back from a GPU machine), shown in the Train tab."""
        if self.runs_view.choose_run_folder():
            self.tabs.setCurrentWidget(self.train_view)

    def show_torchrun(self) -> None:
        """Train > Train with torchrun...: the run.toml and the torchrun lines to copy (the app launches nothing)."""
        from cnnstudio.gui.dialogs.torchrun_dialog import TorchrunDialog

        self.torchrun_dialog = TorchrunDialog(self.controller, self.workspace(), self)
        self.torchrun_dialog.show()

    def show_preferences(self) -> None:
        from cnnstudio.gui.dialogs.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.workspace(), self.controller.config.threads, self)
        if dialog.exec():
            folder, threads = dialog.values()
            self.settings.setValue("preferences/workspace", str(folder))
            self.controller.runs_root = folder
            self.controller.set_config(replace(self.controller.config, threads=threads))
            self.runs_view.refresh()
            self._show_threads()

    def workspace(self) -> Path:
        """The folder runs are saved in: the preference, else the platform's default."""
        if self.controller.runs_root is not None:
            return Path(self.controller.runs_root)
        from cnnstudio.core.runs.folder import default_runs_root

        return default_runs_root()

    def show_export(self) -> None:
        """File > Export model...: the export dialog for the run last opened or finished."""
        if not self.controller.current_run:
            self.show_message("warning", "Export model: open a run first (Runs tab) or train one.")
            return
        from cnnstudio.gui.dialogs.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(self.controller, self.controller.current_run, self)
        self.export_dialog.show()

    def show_plugins(self) -> None:
        from cnnstudio.gui.dialogs.plugins_dialog import PluginsDialog

        PluginsDialog(self.controller, self).exec()

    def show_user_guide(self) -> None:
        """Help > User guide: docs/user-guide.md in a window of its own (not modal)."""
        from cnnstudio.gui.dialogs.help_dialogs import UserGuideDialog

        self.guide_dialog = UserGuideDialog(self)
        self.guide_dialog.show()

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts: every menu shortcut, read off the menus, and the views' gestures."""
        from cnnstudio.gui.dialogs.help_dialogs import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()

    def show_about(self) -> None:
        QMessageBox.about(self, "About CNN Studio", ABOUT.format(version=__version__))

    # ---- state ------------------------------------------------------------------
    def show_message(self, severity: str, text: str) -> None:
        """Errors in a dialog (readable, never a bare traceback), the rest in the status bar."""
        if severity == "error":
            # Window-modal but not blocking: the timers (training events, heartbeat) keep running.
            box = QMessageBox(QMessageBox.Icon.Warning, "CNN Studio", text, QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            self.error_box = box
        self.statusBar().showMessage(text, 10_000)

    def _on_run_state(self, state: str) -> None:
        self.state_label.setText({"idle": "idle", "starting": "starting the training process...",
                                  "training": "training", "stopping": "stopping..."}.get(state, state))
        busy = state != "idle"
        self.start_action.setEnabled(not busy and self.controller.blocking_problem is None)
        self.stop_action.setEnabled(state in ("starting", "training"))

    def _show_threads(self) -> None:
        from cnnstudio.app.training_process import default_threads

        threads = self.controller.config.threads or default_threads()
        self.device_label.setText(f"training: device {self.controller.config.device}, {threads_text(threads)}")

    def _on_run_event(self, event: object) -> None:
        device, threads = getattr(event, "device", None), getattr(event, "threads", None)
        if device is not None and threads is not None and type(event).__name__ == "RunStarted":
            self.device_label.setText(f"training on {device}, {threads_text(int(threads))}")

    def _on_startable(self, startable: bool, reason: str) -> None:
        self.start_action.setEnabled(startable and self.controller.run_state == "idle")
        self.start_action.setToolTip("" if startable else f"Cannot start: {reason}")

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([260, 1020])

    def start(self) -> None:
        """After the window is shown: restore the last model and training settings, load the last
        (or default) dataset and warm up a training child."""
        saved = self.settings.value("session/config")
        if isinstance(saved, str) and saved:
            from cnnstudio.core.config import RunConfig
            from cnnstudio.core.errors import CNNStudioError

            try:
                self.controller.set_config(RunConfig.from_toml(saved, source="the saved settings"))
            except CNNStudioError as error:
                self.statusBar().showMessage(f"Last settings not restored: {error}", 10_000)
        dataset = str(self.settings.value("session/dataset", DEFAULT_DATASET))
        options = self.controller.config.dataset.options if self.controller.config.dataset.id == dataset else None
        QTimer.singleShot(0, lambda: self.controller.select_dataset(dataset, options))
        label_folder = self.settings.value("session/label_folder")
        if isinstance(label_folder, str) and label_folder and Path(label_folder).is_dir():
            QTimer.singleShot(0, lambda: self.label_view.open_folder(label_folder))
        QTimer.singleShot(500, self.controller.prepare_standby)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        if self.controller.spec is not None:  # an opened folder too: its folder:PATH id opens it again
            self.settings.setValue("session/dataset", self.controller.spec.id)
        self.settings.setValue("session/config", self.controller.config.to_toml())
        labels = self.label_view.labels
        self.settings.setValue("session/label_folder", str(labels.root) if labels is not None else "")
        if labels is not None and labels.counted() and self.label_view.edits_since_load:
            # Labelled since it was last loaded (an unlabelled folder never loaded): it is what opens next time.
            self.settings.setValue("session/dataset", folder_dataset_id(labels.root))
        self.label_view.shutdown()
        self.report_action.shutdown()
        if getattr(self, "export_dialog", None) is not None:
            self.export_dialog.close()
        self.controller.shutdown()
        super().closeEvent(event)
