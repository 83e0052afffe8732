"""Train with torchrun: the current settings written as a run.toml, and the exact torchrun lines to copy.

CNN Studio does not launch them. The lines come from ``cnnstudio.app.launch_commands`` (paths quoted
for a POSIX shell); the run.toml is written when the dialog opens, when its path changes and again at
each Copy, so the file a copied line names always holds the settings of that moment.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.app.launch_commands import (
    DEFAULT_PORT,
    MAX_MACHINES,
    MAX_PROCESSES,
    RUN_CONFIG_NAME,
    LaunchCommand,
    local_gpu_count,
    train_command,
    write_run_config,
)
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.gui.widgets import palette
from cnnstudio.gui.widgets.icons import icon

if TYPE_CHECKING:
    from cnnstudio.gui.controller import StudioController

INTRO = (
    "<b>torchrun</b> is PyTorch's launcher for training with several processes at once: one per GPU, or a few "
    "on a many-core CPU, on one machine or on several. Every process takes its share of each batch and they "
    "average their gradients, so the run finishes sooner and the same settings give the same model. "
    "<b>Batch size is global</b>: the Train tab's batch size is the number of images per step in all, split "
    "across the processes.<br><br>"
    "CNN Studio does <b>not</b> start these commands: copy one and paste it into a terminal on the machine that "
    "trains, where CNN Studio is installed (torchrun comes with PyTorch). When the run is done it appears in the "
    "<b>Runs</b> tab; a run trained on another machine opens with <i>File &gt; Open run folder...</i> once its "
    "folder is copied back. docs/scale.md says more."
)
CONFIG_TIP = ("Where the current settings (dataset, model, training) are written as TOML; the command trains "
              "exactly this file. On another machine the file, and a dataset folder, must be at the same path.")
RUNS_TIP = ("--out: the run's folder is made inside this folder, by the first process (rank 0) alone. Runs "
            "written here appear in the Runs tab when this folder is the workspace.")
PROCESSES_TIP = ("How many training processes each machine starts: one per GPU on a GPU machine (each takes the "
                 "GPU numbered by its LOCAL_RANK), or 2 to 4 on a CPU-only machine (each gets a share of the cores).")
DEVICE_TIP = ("cpu: every process trains on the CPU and they talk over the gloo backend.\n"
              "cuda: each process trains on its own GPU (the one numbered by its LOCAL_RANK) over the nccl backend.\n"
              "Either way batch-norm statistics are taken over the whole batch, across the processes.\n"
              "As in the run config: the run.toml's own device.")
MACHINES_TIP = ("How many machines train together. Run the same line on each one: they meet at the rendezvous "
                "address, then each starts its processes.")
HOST_TIP = ("The name or address of one of the machines, reachable from all the others: it hosts the rendezvous, "
            "the meeting point where the processes find each other. Usually the first machine.")
PORT_TIP = (f"A free TCP port on the rendezvous host, open in its firewall to the other machines "
            f"({DEFAULT_PORT} is torchrun's usual one).")
COPY_TIP = "Put this command on the clipboard (and write the run.toml it names again, with the current settings)."
SEVERAL_NOTE = ("Run this same line on each machine. Each needs CNN Studio of the same version, the run.toml and the "
                "dataset at these paths, and a route to the host's port. The run folder is written on the machine of "
                "the first process (rank 0): a runs folder on a shared drive keeps it in one place.")


class TorchrunDialog(QDialog):
    """The run.toml and the torchrun lines for one machine and for several; ``copied(text)`` after each Copy."""

    copied = Signal(str)

    def __init__(self, controller: StudioController, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Train with torchrun")
        self.setMinimumWidth(760)
        self.written_path: Path | None = None  # the run.toml last written; None while it could not be
        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)

        self.config_path = QLineEdit(str(Path(runs_dir) / RUN_CONFIG_NAME))
        self.config_path.setToolTip(CONFIG_TIP)
        self.config_path.editingFinished.connect(self.write_config)
        self.runs_dir = QLineEdit(str(runs_dir))
        self.runs_dir.setToolTip(RUNS_TIP)
        self.runs_dir.textChanged.connect(self.update_commands)
        gpus = local_gpu_count()
        self.processes = self._spin(1, MAX_PROCESSES, gpus or 2, PROCESSES_TIP)
        self.device = QComboBox()
        self.device.addItem(f"as in the run config ({controller.config.device})", "")
        for device in ("cpu", "cuda"):
            self.device.addItem(device, device)
        if gpus:
            self.device.setCurrentIndex(self.device.findData("cuda"))
        self.device.setToolTip(DEVICE_TIP)
        self.device.currentIndexChanged.connect(self.update_commands)
        self.config_status = QLabel("")
        self.config_status.setWordWrap(True)
        self.config_status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)  # full width
        self.config_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)  # paths grow, numbers do not
        config_cell = QVBoxLayout()  # the path, and below it whether it is written: a wrapped label sized in a box
        config_cell.addLayout(self._with_chooser(self.config_path, self._choose_config))
        config_cell.addWidget(self.config_status)
        form.addRow("Run config:", config_cell)
        form.addRow("Runs folder (--out):", self._with_chooser(self.runs_dir, self._choose_runs_dir))
        form.addRow("Processes per machine:", self.processes)
        form.addRow("Device:", self.device)
        self.batch_label = QLabel("")
        self.batch_label.setStyleSheet(palette.MUTED_STYLE)
        self.batch_label.setToolTip("training.batch_size is the global batch: the same number of images per step, "
                                    "and the same model, on 1 process or many; each process takes its share.")
        form.addRow("", self.batch_label)

        self.single_text, self.single_copy = self._command_box()
        single = QGroupBox("One machine")
        single_layout = QVBoxLayout(single)
        single_layout.addLayout(self._command_row(self.single_text, self.single_copy))

        self.machines = self._spin(2, MAX_MACHINES, 2, MACHINES_TIP)
        self.host = QLineEdit(socket.gethostname() or "localhost")
        self.host.setToolTip(HOST_TIP)
        self.host.textChanged.connect(self.update_commands)
        self.port = self._spin(1, 65535, DEFAULT_PORT, PORT_TIP)
        self.port.setGroupSeparatorShown(False)
        self.multi_text, self.multi_copy = self._command_box()
        several = QGroupBox("Several machines")
        rendezvous = QHBoxLayout()
        rendezvous.addWidget(self.host, 1)
        rendezvous.addWidget(QLabel("port"))
        rendezvous.addWidget(self.port)
        several_form = QFormLayout()
        several_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        several_form.addRow("Machines:", self.machines)
        several_form.addRow("Rendezvous host:", rendezvous)
        note = QLabel(SEVERAL_NOTE)
        note.setWordWrap(True)
        note.setStyleSheet(palette.MUTED_STYLE)
        several_layout = QVBoxLayout(several)
        several_layout.addLayout(several_form)
        several_layout.addLayout(self._command_row(self.multi_text, self.multi_copy))
        several_layout.addWidget(note)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(single)
        layout.addWidget(several)
        layout.addStretch(1)
        layout.addLayout(buttons)
        for button in self.findChildren(QPushButton):  # Enter in a field must not press Choose... or Copy
            button.setAutoDefault(False)
        self.single_copy.clicked.connect(lambda: self.copy(self.single_text))
        self.multi_copy.clicked.connect(lambda: self.copy(self.multi_text))
        self.write_config()
        height = self.heightForWidth(900)  # word-wrapped labels: the height they need at this width
        self.resize(900, height if height > 0 else self.sizeHint().height())

    # ---- building -------------------------------------------------------------------
    def _spin(self, low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setToolTip(tip)
        spin.valueChanged.connect(self.update_commands)
        return spin

    def _with_chooser(self, field: QLineEdit, choose: Callable[[], None]) -> QHBoxLayout:
        button = QPushButton("Choose...")
        button.clicked.connect(lambda: choose())
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(button)
        return row

    def _command_box(self) -> tuple[QPlainTextEdit, QPushButton]:
        text = QPlainTextEdit()
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setFixedHeight(4 * text.fontMetrics().lineSpacing() + 12)  # a long line wraps onto up to four
        text.setToolTip("The exact command, paths quoted for a Linux or macOS shell; select it or press Copy.")
        copy = QPushButton(icon("copy"), "Copy")
        copy.setToolTip(COPY_TIP)
        return text, copy

    @staticmethod
    def _command_row(text: QPlainTextEdit, copy: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(text, 1)
        row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _choose_config(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Write the run config as", self.config_path.text(),
                                              "Run config (*.toml)")
        if path:
            self.config_path.setText(path)
            self.write_config()

    def _choose_runs_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Runs folder (--out)", self.runs_dir.text())
        if folder:
            self.runs_dir.setText(folder)

    # ---- the file and the commands ------------------------------------------------------
    def write_config(self) -> bool:
        """Write the current settings to the run.toml path; False (with the reason shown) when they cannot be."""
        text = self.config_path.text().strip()
        try:
            if not text:
                raise CNNStudioError("Choose a file to write the run config to (run.toml).")
            self.written_path = write_run_config(self.controller.config, text)
        except CNNStudioError as error:
            self.written_path = None
            self.config_status.setStyleSheet(palette.ERROR_STYLE)
            self.config_status.setText(f"Not written: {error}")
            self.update_commands()
            return False
        self.config_path.setText(str(self.written_path))
        self.config_status.setStyleSheet(palette.MUTED_STYLE)
        self.config_status.setText(f"Written with the current settings: {self.written_path}")
        self.update_commands()
        return True

    def single_command(self) -> LaunchCommand:
        """The one-machine line for the fields as they are (ConfigError when one is wrong)."""
        return train_command(self.config_path.text().strip(), self._runs_folder(), self.processes.value(), 1,
                             device=str(self.device.currentData() or ""))

    def several_command(self) -> LaunchCommand:
        """The line every machine runs, meeting at the rendezvous host and port."""
        rendezvous = f"{self.host.text().strip()}:{self.port.value()}"
        return train_command(self.config_path.text().strip(), self._runs_folder(), self.processes.value(),
                             self.machines.value(), rendezvous, str(self.device.currentData() or ""))

    def _runs_folder(self) -> str:
        folder = self.runs_dir.text().strip()
        if not folder:
            raise CNNStudioError("Choose a runs folder (--out): the run's folder is made inside it.")
        return folder

    def update_commands(self) -> None:
        """Show both commands again (after any field changed), or why one cannot be made."""
        texts, problems = [], []
        for make in (self.single_command, self.several_command):
            try:
                texts.append(make().text)
            except CNNStudioError as error:
                texts.append("")
                problems.append(str(error))
        single_text, several_text = texts
        self.single_text.setPlainText(single_text)
        self.multi_text.setPlainText(several_text)
        self.batch_label.setText(self._batch_text())
        if problems:
            self._say(problems[0][:1].upper() + problems[0][1:], palette.ERROR_STYLE)
        else:
            self._say("", "")  # a problem put right, or "Copied" about a line that has just changed
        ready = self.written_path is not None
        self.single_copy.setEnabled(ready and bool(single_text))
        self.multi_copy.setEnabled(ready and bool(several_text))

    def _batch_text(self) -> str:
        batch, processes = self.controller.config.training.batch_size, self.processes.value()
        several = processes * self.machines.value()
        return (f"Batch size {batch} in all: {_share(batch, processes)} per process on one machine, "
                f"{_share(batch, several)} on {self.machines.value()} machines ({several} processes).")

    def _say(self, text: str, style: str) -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def copy(self, box: QPlainTextEdit) -> bool:
        """Write the run.toml again and put ``box``'s command on the clipboard; False when the file cannot be written."""
        if not self.write_config():
            return False
        text = box.toPlainText()
        QGuiApplication.clipboard().setText(text)
        self._say("Copied: paste it into a terminal on the machine that trains "
                  f"(it trains {self.written_path}).", palette.MUTED_STYLE)
        self.copied.emit(text)
        return True


def _share(batch: int, processes: int) -> str:
    """Images per process per step, in words ("16", "about 10.7")."""
    share = batch / processes
    return f"{share:g}" if share == int(share) else f"about {share:.1f}"
