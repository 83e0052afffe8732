"""The Runs tab: every run in the workspace as a table; open one, compare several, or try a variant of one.

Run folders are read on a worker thread (reading them imports torch via
``cnnstudio.core.runs.folder``); a folder that cannot be read is a "damaged: <reason>"
row, never a crash. Opening a run emits ``controller.run_opened``, which the
Train, Filters and Try views follow, and says so in the status bar; the current
run's row is bold. "Open run folder..." (also in the File menu) opens a run folder from
anywhere, one copied back from a GPU machine say. Compare (Ctrl+D) reads the selected runs
on a worker (``cnnstudio.core.evaluate.compare``) and shows them in a CompareView under
the table; "Try a variant" (``VariantButton``) trains one run again with one
change and compares the two when it finishes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.tabs.runs.run_rows import COLUMNS, RESUME_ACTIONS, list_run_rows, resumable, resume_action
from cnnstudio.gui.tabs.runs.variant_button import VariantButton
from cnnstudio.gui.widgets.icons import icon
from cnnstudio.gui.widgets.run_identity import identify_run, opened_message
from cnnstudio.gui.workers.background import emit_safely, in_background

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

COMPARE_TIP = ("Compare the selected runs (Ctrl+D): their loss and accuracy curves overlaid, the config fields that "
               "differ, and their final metrics. Select several runs with Ctrl+click or Shift+click.")

class RunsView(QWidget):
    """A table of the workspace's runs with Refresh, Open and Show folder."""

    refreshed = Signal()  # the table was filled again
    compared = Signal()  # a comparison is on screen (compare_view.comparison)
    _listed = Signal(int, object, str)  # request number, (root, rows), error message
    _compared = Signal(int, object, str)  # request number, Comparison or None, error message

    def __init__(self, controller: StudioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.rows: list[dict[str, str]] = []
        self._listed.connect(self._fill)
        self._compared.connect(self._show_comparison)
        self._compare_request = 0
        self.compare_view: Any = None  # a CompareView, made on the first comparison (it imports pyqtgraph)
        self._shown_once = False
        self._request = 0

        self.root_label = QLabel("")
        self.root_label.setWordWrap(True)
        self.root_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.open_button = QPushButton(icon("open-run"), "Open")
        self.open_button.setToolTip("Show this run's curves, filters and model in the other tabs (or double-click it).")
        self.open_button.clicked.connect(self.open_selected)
        self.resume_button = QPushButton(icon("resume"), "Resume")
        self.resume_button.setToolTip(RESUME_ACTIONS["resume"][1])
        self.resume_button.clicked.connect(self.resume_selected)
        self.folder_button = QPushButton(icon("show-folder"), "Show folder")
        self.folder_button.setToolTip("Open the run folder in the file manager: config.toml, metrics.jsonl, weights.")
        self.folder_button.clicked.connect(self.show_folder)
        self.open_other_button = QPushButton(icon("open-run-folder"), "Open run folder...")
        self.open_other_button.setToolTip("Open a run folder from anywhere, not only this workspace: one trained on "
                                          "another machine (torchrun on a GPU box) and copied here, or a colleague's. "
                                          "It needs config.toml, run.json and weights/.")
        self.open_other_button.clicked.connect(self.choose_run_folder)
        self.compare_button = QPushButton(icon("compare"), "Compare")
        self.compare_button.setToolTip(COMPARE_TIP)
        self.compare_button.clicked.connect(self.compare_selected)
        self.compare_action = QAction("Compare selected runs", self)
        self.compare_action.setShortcut(QKeySequence("Ctrl+D"))
        self.compare_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.compare_action.triggered.connect(lambda *_: self.compare_selected())
        self.addAction(self.compare_action)
        self.variant_button = VariantButton(controller, self)
        self.variant_button.variant_finished.connect(lambda original, new: self.compare([original, new]))
        self.variant_button.progress.connect(self.status_text)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # sized to contents in _fill
        header.setSectionResizeMode(COLUMNS.index("Status"), QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.open_row(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        controller.run_state_changed.connect(self._on_run_state)
        self.table.setToolTip("Each training is a run: a folder with its config, per-epoch metrics and weights. "
                              "Best val metric is the validation score of the epoch whose weights were kept. "
                              "Ctrl+click several runs to compare them.")
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)

        # The workspace path on its own line: beside the buttons a long one widened the window.
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.open_button, self.open_other_button, self.resume_button,
                       self.folder_button, self.compare_button, self.variant_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        # The table above, the comparison below (added on the first Compare).
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.root_label)
        layout.addLayout(buttons)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status_label)
        self._update_buttons()
        controller.run_opened.connect(lambda *_: self.refresh())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:  # first look at the tab: list the runs (not at start-up)
            self._shown_once = True
            self.refresh()

    def refresh(self) -> None:
        """List the runs again (on the worker; ``refreshed`` follows)."""
        root = self.controller.runs_root
        self.status_label.setText("Reading the runs...")
        self._request += 1
        in_background("cnnstudio-runs", self._list, self._request, root)

    def _list(self, request: int, root: Path | None) -> None:
        try:
            from cnnstudio.core.runs.folder import default_runs_root

            shown = Path(root) if root is not None else default_runs_root()
            result, error = (str(shown), list_run_rows(shown)), ""
        except Exception as problem:  # an unreadable workspace folder: say so
            result, error = ("", []), f"The runs could not be listed ({type(problem).__name__}: {problem})"
        emit_safely(self._listed, request, result, error)

    def _fill(self, request: int, result: tuple[str, list[dict[str, str]]], error: str) -> None:
        if request != self._request:
            return  # a newer listing is on its way
        root, rows = result
        selected = set(self.selected_paths())
        self.rows = rows
        self.root_label.setText(f"Workspace: {root}" if root else "")
        self.table.clearSpans()
        self.table.setRowCount(len(rows))
        current = self.current_row()
        for row, values in enumerate(rows):
            damaged = values.get("Status", "").startswith("damaged")
            for column, name in enumerate(COLUMNS):
                # A damaged row says "damaged" here; its reason spans the empty columns (below).
                item = QTableWidgetItem("damaged" if damaged and name == "Status" else values.get(name, ""))
                item.setToolTip(values["path"] if column == 0 else values.get(f"{name} tip", values.get(name, "")))
                if damaged:
                    item.setForeground(Qt.GlobalColor.darkRed)
                if row == current:  # bold before the columns are sized, or its text is elided
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
            if values["path"] in selected:
                flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                self.table.selectionModel().select(self.table.model().index(row, 0), flags)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), 300))  # long names elide in the middle
        for row, values in enumerate(rows):
            if values.get("Status", "").startswith("damaged"):  # the reason across the empty columns
                reason = QTableWidgetItem(values["Status"])
                reason.setForeground(Qt.GlobalColor.darkRed)
                reason.setToolTip(values["Status"])
                self.table.setItem(row, 1, reason)
                self.table.setSpan(row, 1, 1, len(COLUMNS) - 1)
        if error:
            self.status_label.setText(error)
        elif not rows:
            self.status_label.setText("No runs yet: train a model in the Train tab and it appears here.")
        else:
            damaged_count = sum(r.get("Status", "").startswith("damaged") for r in rows)
            if self.variant_button.pending is None:  # its progress line stays while the variant trains
                self.status_label.setText(
                    f"{len(rows)} run{'s' if len(rows) != 1 else ''}"
                    + (f", {damaged_count} damaged (they cannot be opened)" if damaged_count else "")
                    + ". Double-click a run to open it; Ctrl+click several and Compare them.")
        self._mark_current()
        self._update_buttons()
        self.refreshed.emit()

    def current_row(self) -> int:
        """The table row of the run the analysis tabs show (controller.current_run), or -1."""
        current = self.controller.current_run
        if not current:
            return -1
        wanted = Path(current).resolve()
        return next((row for row, values in enumerate(self.rows) if Path(values["path"]).resolve() == wanted), -1)

    def _mark_current(self) -> None:
        """The current run's row in bold, with a tooltip and a line below the table saying so."""
        current = self.current_row()
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is None:
                    continue
                font = item.font()
                font.setBold(row == current)
                item.setFont(font)
                if column == 0:
                    tip = self.rows[row]["path"]
                    item.setToolTip(f"{tip}\n(the current run: Evaluate, Threshold, Try an image and Export show it)"
                                    if row == current else tip)
        if current >= 0 and self.variant_button.pending is None:
            line = self.status_label.text().split(" Current run:")[0]
            self.status_label.setText(f"{line} Current run: {self.rows[current]['Name']} (in bold).")

    def selected_path(self) -> str:
        """The first selected run folder ("" when none)."""
        paths = self.selected_paths()
        return paths[0] if paths else ""

    def selected_paths(self) -> list[str]:
        """Every selected run folder, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.rows[row]["path"] for row in rows if row < len(self.rows)]

    def _selected_rows(self) -> list[dict[str, str]]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.rows[row] for row in rows if row < len(self.rows)]

    def status_text(self, text: str) -> None:
        self.status_label.setText(text)

    def _update_buttons(self) -> None:
        rows = self._selected_rows()
        usable = [row for row in rows if not row.get("Status", "").startswith("damaged")]
        row = rows[0] if rows else None
        self.open_button.setEnabled(row is not None and not row.get("Status", "").startswith("damaged"))
        self.folder_button.setEnabled(row is not None)
        action = resume_action(rows[0]) if len(rows) == 1 else ""
        text, tip = RESUME_ACTIONS.get(action, RESUME_ACTIONS["resume"])
        self.resume_button.setText(text)
        self.resume_button.setToolTip(tip)
        self.resume_button.setEnabled(bool(action) and self.controller.process is None)
        self.compare_button.setEnabled(len(usable) >= 2)
        self.compare_action.setEnabled(len(usable) >= 2)
        # A variant of exactly one readable run that is not still training.
        single = usable[0] if len(rows) == 1 and len(usable) == 1 else None
        wanted = single["path"] if single is not None and single.get("Status") != "running" else ""
        if wanted != self.variant_button.run_dir:
            self.variant_button.set_run(wanted)

    def open_row(self, row: int) -> None:
        """Open the run in ``row``: the other tabs show it (a damaged run says why it cannot)."""
        values = self.rows[row]
        if values.get("Status", "").startswith("damaged"):
            self.controller.message.emit("warning", f"{values['Name']} cannot be opened: {values['Status'][9:]}")
            return
        self._open(values["path"])

    def _open(self, path: str) -> None:
        identity = identify_run(path, self.controller)
        self.controller.run_opened.emit(path)
        self._mark_current()
        self.controller.message.emit("info", opened_message(identity))

    def choose_run_folder(self) -> bool:
        """Ask for a run folder anywhere (copied from a GPU machine, a colleague's) and open it; True when opened."""
        start = str(self.controller.runs_root or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open run folder", start)
        return bool(folder) and self.open_run_folder(folder)

    def open_run_folder(self, folder: str | Path) -> bool:
        """Open a run folder from any place, as a row of the list opens; an error naming what is missing if it is not a run."""
        from cnnstudio.app.open_run import check_run_folder

        try:
            path = check_run_folder(folder)
        except CNNStudioError as error:
            self.controller.message.emit("error", f"Cannot open the run: {error}")
            return False
        self._open(str(path))
        return True

    def _on_run_state(self, state: str) -> None:
        """A run ended: its row's status and epochs changed on disk."""
        if state == "idle" and self.isVisible():
            self.refresh()
        else:
            self._update_buttons()

    def resume_selected(self) -> None:
        """Resume the selected stopped run in the training child; the Train tab shows it."""
        rows = self._selected_rows()
        if len(rows) == 1 and resumable(rows[0]) and self.controller.resume_training(rows[0]["path"]):
            doing = {"finish": "Finishing", "restart": "Starting again"}.get(resume_action(rows[0]), "Resuming")
            self.status_text(f"{doing} {rows[0]['Name']}: watch it in the Train tab.")
            self.resume_button.setEnabled(False)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_row(rows[0].row())

    def show_folder(self) -> None:
        path = self.selected_path()
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    # ---- comparing ------------------------------------------------------------------
    def compare_selected(self) -> None:
        """Compare the selected runs, oldest first (two or more; damaged ones are left out with the reason)."""
        paths = self.selected_paths()[::-1]  # the table lists the newest first
        if len(paths) < 2:
            self.status_label.setText("Select two or more runs to compare (Ctrl+click or Shift+click).")
            return
        self.compare(paths)

    def compare(self, paths: list[str]) -> None:
        """Read ``paths`` on the worker and show their comparison (``compared`` follows)."""
        self._compare_request += 1
        self.status_label.setText(f"Comparing {len(paths)} runs...")
        in_background("cnnstudio-compare", self._read_comparison, self._compare_request, list(paths))

    def _read_comparison(self, request: int, paths: list[str]) -> None:
        try:
            from cnnstudio.core.evaluate.compare import compare_runs

            emit_safely(self._compared, request, compare_runs(paths, skip_damaged=True), "")
        except CNNStudioError as error:
            emit_safely(self._compared, request, None, str(error))
        except Exception as error:  # noqa: BLE001 - an unexpected file content: say so, keep the app
            emit_safely(self._compared, request, None, f"The runs could not be compared ({type(error).__name__}: {error})")

    def _show_comparison(self, request: int, comparison: Any, error: str) -> None:
        if request != self._compare_request:
            return  # a newer comparison is on its way
        if comparison is None or len(comparison.runs) < 2:
            reasons = [reason for _, reason in comparison.unreadable] if comparison is not None else []
            text = error or "Fewer than two of these runs can be read: " + "; ".join(reasons)
            self.status_label.setText(text)
            self.controller.message.emit("warning", text)
            return
        if self.compare_view is None:
            from cnnstudio.gui.tabs.runs.compare_view import CompareView

            self.compare_view = CompareView(self)
            self.splitter.addWidget(self.compare_view)
            self.splitter.setSizes([180, 520])
        self.compare_view.show_comparison(comparison)
        self.status_label.setText(f"Comparing {len(comparison.runs)} runs: "
                                  + "; ".join(f"{run.name} ({run.label})" for run in comparison.runs))
        self.compared.emit()
