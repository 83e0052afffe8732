"""Render resources/app-icon.svg to resources/app-icon.png (256 x 256), the icon Qt uses where it has no SVG plugin.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_app_icon_png.py
"""

from __future__ import annotations

import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SIDE = 256


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QPainter needs it)
    renderer = QSvgRenderer(str(RESOURCES / "app-icon.svg"))
    if not renderer.isValid():
        print(f"{RESOURCES / 'app-icon.svg'}: not a valid SVG", file=sys.stderr)
        return 1
    image = QImage(SIDE, SIDE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    target = RESOURCES / "app-icon.png"
    if not image.save(str(target)):
        print(f"{target}: could not be written", file=sys.stderr)
        return 1
    print(f"{target}: {SIDE} x {SIDE}, {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
