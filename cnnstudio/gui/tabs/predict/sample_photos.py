"""SamplePhotos: the sample photos shipped in resources/samples/ as a row of thumbnails on the Try an image tab.

A new user can try a model at once, before looking for an image file of their
own; clicking a thumbnail predicts that photo as a chosen or dropped file is.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from cnnstudio.resource_files import sample_images

THUMB_PX = 40
INTRO = "No image at hand? Try a sample photo:"


class SamplePhotos(QWidget):
    """One button per sample photo; ``chosen`` carries the clicked photo's path."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: list[QToolButton] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(INTRO))
        for path in sample_images():
            button = QToolButton(self)
            button.setIcon(QIcon(_square_thumbnail(path)))
            button.setIconSize(QSize(THUMB_PX, THUMB_PX))
            button.setAutoRaise(True)
            button.setToolTip(f"Try {sample_title(path)} ({path.name}, a sample photo that comes with CNN Studio)")
            button.setAccessibleName(f"Try the sample photo {sample_title(path)}")
            button.clicked.connect(lambda _checked=False, chosen=str(path): self.chosen.emit(chosen))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self.setVisible(bool(self.buttons))  # an install without samples shows nothing, not an empty row


def sample_title(path: Path) -> str:
    """``coffee-cup.jpg`` -> ``coffee cup``."""
    return path.stem.replace("-", " ").replace("_", " ")


def _square_thumbnail(path: Path) -> QPixmap:
    """The photo's centre square at THUMB_PX (2x, for sharp icons on high-DPI screens)."""
    side = 2 * THUMB_PX
    pixmap = QPixmap(str(path))
    if pixmap.isNull():
        return pixmap
    filled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                           Qt.TransformationMode.SmoothTransformation)
    return filled.copy((filled.width() - side) // 2, (filled.height() - side) // 2, side, side)
