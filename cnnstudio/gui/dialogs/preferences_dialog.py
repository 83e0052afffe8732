"""Preferences: the workspace folder where runs are saved, and the torch threads a training run gets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from cnnstudio.app.training_process import default_threads
from cnnstudio.gui.widgets import palette

THREADS_TOOLTIP = (
    "Torch threads for the training process. 0 = automatic: every core, as on the command line "
    "(the window waits while a run trains, so it needs none)."
)


class PreferencesDialog(QDialog):
    """Edit the workspace folder and training threads; ``values()`` gives (folder, threads) after Ok."""

    def __init__(self, workspace: Path, threads: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.folder = QLineEdit(str(workspace))
        self.folder.setToolTip("Every training run is saved as a folder in here (config, metrics, weights).")
        browse = QPushButton("Choose...")
        browse.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setValue(threads)
        self.threads.setSpecialValueText(f"automatic ({default_threads()})")
        self.threads.setToolTip(THREADS_TOOLTIP)
        self.error = QLabel("")
        self.error.setStyleSheet(palette.ERROR_STYLE)
        form = QFormLayout(self)
        form.addRow("Workspace (runs)", row)
        form.addRow("Training threads", self.threads)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(640, self.sizeHint().height())

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Workspace folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _accept(self) -> None:
        path = Path(self.folder.text().strip()).expanduser()
        if not self.folder.text().strip():
            self.error.setText("Choose a folder for the runs.")
            return
        if path.exists() and not path.is_dir():
            self.error.setText(f"{path} is a file, not a folder.")
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.error.setText(f"{path}: cannot create this folder ({error.strerror or error}).")
            return
        self.accept()

    def values(self) -> tuple[Path, int]:
        return Path(self.folder.text().strip()).expanduser(), self.threads.value()
