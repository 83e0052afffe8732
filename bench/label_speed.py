"""How fast the Label tab feels on real 2000 px photos: next image with its labels, and brush strokes.

    .venv/bin/python bench/label_speed.py            # QT_QPA_PLATFORM=offscreen unless a display is set

Builds a flat folder of 2000 x 1500 JPEGs cut from scikit-image's photographs,
half labelled good and half with a full-size defect mask, opens
it in the real Label tab (LabelView over a StudioController), then:

- next image: Right pressed every 150 ms (a person glancing at each photo; the
  tab decodes the next photos meanwhile) and as fast as the key repeats (no
  time to prefetch); the time from the key to the photo and its labels drawn,
  including the repaint;
- brush: a stroke across the photo at fit zoom, one mouse move per 8 px; the
  time the canvas spends on each move (``stroke_frame_ms``) and each move
  plus its repaint.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHOTOS = 24
SIZE = (2000, 1500)


def make_folder(root: Path) -> list[str]:
    import skimage
    from PIL import Image

    from cnnstudio.core.labels.label_file import write_label_file
    from cnnstudio.core.labels.label_set import ImageLabel, LabelSet

    sources = ["chelsea", "coffee", "astronaut", "rocket", "brick", "gravel"]
    folder = Path(os.path.dirname(skimage.__file__)) / "data"
    names = []
    for index in range(PHOTOS):
        name = sources[index % len(sources)]
        path = folder / f"{name}.png" if (folder / f"{name}.png").exists() else folder / f"{name}.jpg"
        image = Image.open(path).convert("RGB").resize(SIZE)
        names.append(f"IMG_{index:04d}.jpg")
        image.save(root / names[-1], quality=90)
    labels = LabelSet.empty(root, "masks", ["scratch"], names)
    rng = np.random.default_rng(0)
    for index, name in enumerate(names):
        if index % 2:
            labels.set(ImageLabel(status="labelled", class_name="good"), name)
            continue
        mask = np.zeros((SIZE[1], SIZE[0]), np.uint8)
        for _ in range(6):  # a few painted blobs, as a person paints defects
            x, y = rng.integers(100, SIZE[0] - 300), rng.integers(100, SIZE[1] - 300)
            mask[y:y + int(rng.integers(20, 200)), x:x + int(rng.integers(20, 300))] = 1
        labels.set(ImageLabel(status="labelled", class_name="scratch", mask=mask), name)
    write_label_file(labels)
    return names


def main() -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.gui.tabs.label.label_view import LabelView

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_folder(root)
        controller = StudioController(runs_root=root / "runs")
        view = LabelView(controller)
        view.resize(1600, 1000)
        view.show()
        view.open_folder(str(root))
        app.processEvents()

        def next_image() -> float:
            start = time.perf_counter()
            view.go(1)
            view.canvas.viewport().repaint()
            app.processEvents()
            return (time.perf_counter() - start) * 1000

        paced = []
        for _ in range(PHOTOS // 2 - 1):
            time.sleep(0.15)
            app.processEvents()
            paced.append(next_image())
        rapid = [next_image() for _ in range(PHOTOS // 2 - 1)]

        # Brush: a stroke on a photo labelled good (painted from scratch).
        view.choose_tool("brush")
        view.toolbar.brush_size.setValue(40)
        view.go(-1)
        canvas = view.canvas
        viewport = canvas.viewport()
        at = canvas.mapFromScene(QPointF(200, 750))
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
        with_repaint = []
        for x in range(200, 1800, 8):
            start = time.perf_counter()
            QTest.mouseMove(viewport, canvas.mapFromScene(QPointF(x, 750 + 200 * np.sin(x / 200))))
            viewport.repaint()
            with_repaint.append((time.perf_counter() - start) * 1000)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           canvas.mapFromScene(QPointF(1800, 750)))
        frames = list(canvas.stroke_frame_ms)
        view.shutdown()

    def describe(values: list[float]) -> str:
        ordered = sorted(values)
        return (f"median {statistics.median(ordered):.1f} ms, p95 {ordered[int(len(ordered) * 0.95) - 1]:.1f} ms, "
                f"max {ordered[-1]:.1f} ms ({len(ordered)} samples)")

    print(f"Label tab on {SIZE[0]} x {SIZE[1]} JPEGs, half with painted defect masks (goal: next image under 50 ms)")
    print(f"  next image, a key every 150 ms : {describe(paced)}")
    print(f"  next image, keys as fast as possible: {describe(rapid)}")
    print(f"  brush, canvas work per mouse move   : {describe(frames)}")
    print(f"  brush, mouse move plus repaint      : {describe(with_repaint)}")


if __name__ == "__main__":
    main()
