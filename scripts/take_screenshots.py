"""Open the real CNN Studio window and save a screenshot of every view into docs/screenshots/.

Run it through ``scripts/screenshots.sh``, which starts a virtual X display
(Xvfb) when there is no screen. It trains real runs (retail through the
window's own Start button, a defect and a logo run headless for the
"Try an image" overlays), so it takes a few minutes on a laptop CPU.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SIZE = (1360, 860)


def main() -> int:
    app = QApplication(sys.argv)
    from cnnstudio.app.runner import train_run
    from cnnstudio.core.config import DatasetConfig, RunConfig, TrainingConfig
    from cnnstudio.core.events import RunFinished
    from cnnstudio.core.model.presets import apply_preset
    from cnnstudio.gui.controller import StudioController
    from cnnstudio.gui.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="cnnstudio-shots-"))
    runs = work / "runs"
    OUT.mkdir(parents=True, exist_ok=True)

    def settle(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(condition, timeout: float = 300.0) -> None:
        end = time.time() + timeout
        while not condition():
            if time.time() > end:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.02)
        settle()

    def shot(widget, name: str) -> None:
        settle(0.4)
        widget.grab().save(str(OUT / f"{name}.png"))
        print("saved", OUT / f"{name}.png", flush=True)

    print("training the defect and logo runs for the overlays...", flush=True)
    defect_run = train_run(RunConfig(dataset=DatasetConfig("manufacturing.surfaces", {"count": 800}),
                                     training=TrainingConfig(epochs=6)), runs_root=runs).run_dir
    logo_run = train_run(RunConfig(dataset=DatasetConfig("marketing.logos", {"count": 1200}),
                                   training=TrainingConfig(epochs=6)), runs_root=runs).run_dir
    forgery_run = train_run(RunConfig(dataset=DatasetConfig("documents.forgery", {"count": 1000}),
                                      training=TrainingConfig(epochs=6)), runs_root=runs).run_dir
    print("training the lesson's max vs average pooling pair for the comparison...", flush=True)
    compared = [
        train_run(apply_preset(RunConfig(training=TrainingConfig(epochs=4)), preset), runs_root=runs).run_dir
        for preset in ("seed", "seed-avgpool")
    ]

    controller = StudioController(runs_root=runs)
    window = MainWindow(controller, QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(*SIZE)
    window.show()
    settle(1.0)

    # Data: the defect dataset with its masks drawn.
    controller.select_dataset("manufacturing.surfaces", {"count": 400})
    wait(lambda: controller.spec is not None and controller.spec.id == "manufacturing.surfaces")
    window.tabs.setCurrentWidget(window.data_view)
    window.data_view.show_masks.setChecked(True)
    shot(window, "data")

    # Model: the lesson's seed model, with the core's advice next to its settings.
    controller.select_dataset("retail.products")
    wait(lambda: controller.spec is not None and controller.spec.id == "retail.products")
    window.tabs.setCurrentWidget(window.model_view)
    form = window.model_view.form
    form.preset_combo.setCurrentIndex(form.preset_combo.findData("seed"))
    form.preset_combo.activated.emit(form.preset_combo.currentIndex())
    settle(1.5)
    shot(window, "model")
    form.preset_combo.setCurrentIndex(form.preset_combo.findData("recommended"))
    form.preset_combo.activated.emit(form.preset_combo.currentIndex())
    settle(1.0)

    # Train: the default retail run, started with the window's own button, watched live.
    window.tabs.setCurrentWidget(window.train_view)
    finished: list[object] = []
    controller.run_event.connect(lambda event: finished.append(event) if isinstance(event, RunFinished) else None)
    controller.set_config(replace(controller.config, training=replace(controller.config.training, epochs=6)))
    window.train_view.start()
    wait(lambda: bool(finished), timeout=600)
    shot(window, "train")
    retail_run = window.train_view.run_dir

    # Filters and feature maps of that run.
    window.tabs.setCurrentWidget(window.filters_view)
    wait(lambda: window.filters_view.model is not None, timeout=60)
    shot(window, "filters")

    # Try an image: a defect with its heat map, a scene with its logo boxes (the boxes head, the default).
    predict = window.predict_view
    window.tabs.setCurrentWidget(predict)
    results: list[dict] = []
    predict.predicted.connect(results.append)
    for run_dir, dataset, name in ((defect_run, "manufacturing.surfaces", "try_defect"), (logo_run, "marketing.logos", "try_logo")):
        image = example_image(dataset, work / f"{name}.png")
        controller.run_opened.emit(str(run_dir))
        results.clear()
        predict.predict_file(str(image))
        wait(lambda: bool(results), timeout=60)
        shot(window, name)

    # Try an image, explained: Grad-CAM of the decided class on the defect.
    controller.run_opened.emit(str(defect_run))
    results.clear()
    predict.predict_file(str(work / "try_defect.png"))
    wait(lambda: bool(results), timeout=60)
    explained: list[bool] = []
    predict.explained.connect(lambda: explained.append(True))
    predict.explain.mode_box.setCurrentText("Grad-CAM")
    wait(lambda: bool(explained), timeout=60)
    shot(window, "try_gradcam")

    # Threshold studio on a forgery run (its classes overlap a little), a recall target solved (not saved).
    controller.run_opened.emit(str(forgery_run))
    window.tabs.setCurrentWidget(window.threshold_view)
    wait(lambda: window.threshold_view.scores is not None, timeout=120)
    window.threshold_view.solve_recall()
    shot(window, "threshold")

    # Evaluate the retail run trained above: its worst cell, with Grad-CAM.
    controller.run_opened.emit(retail_run)
    window.tabs.setCurrentWidget(window.evaluation_view)
    gallery = window.evaluation_view.gallery
    wait(lambda: window.evaluation_view.report is not None and gallery.report is not None, timeout=120)
    gallery.overlay_box.setCurrentText("Grad-CAM")
    wait(lambda: all(p in gallery.maps for p in gallery.positions), timeout=120)
    shot(window, "evaluate")

    window.tabs.setCurrentWidget(window.runs_view)
    window.runs_view.refresh()
    settle(2.0)
    shot(window, "runs")
    # Select the max and average pooling runs as Ctrl+click would, then Compare.
    runs_view = window.runs_view
    selection = runs_view.table.selectionModel()
    wanted = {str(Path(run)) for run in compared}
    for row, values in enumerate(runs_view.rows):
        if str(Path(values["path"])) in wanted:
            selection.select(runs_view.table.model().index(row, 0),
                             selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    runs_view.compare_button.click()
    settle(3.0)
    shot(window, "compare")

    from cnnstudio.gui.dialogs.export_dialog import ExportDialog

    exports: list[bool] = []
    export = ExportDialog(controller, defect_run, window)
    export.resize(760, 640)
    export.finished_export.connect(lambda passed, _data: exports.append(passed))
    export.show()
    export.start_export()
    wait(lambda: bool(exports), timeout=300)
    shot(export, "export")
    export.close()

    from cnnstudio.gui.dialogs.plugins_dialog import PluginsDialog

    dialog = PluginsDialog(controller, window)
    dialog.resize(1000, 640)
    dialog.show()
    shot(dialog, "plugins")
    dialog.close()
    window.close()
    return 0


def example_image(dataset: str, path: Path) -> Path:
    """A positive example (a defect, a logo) of ``dataset``, from a seed the runs did not train on, as a PNG."""
    from PIL import Image

    from cnnstudio.host.manager import get_plugin_manager

    spec = get_plugin_manager().dataset(dataset)
    images = spec.load(spec.resolve_options({"count": 40, "seed": 99, "size": 128}))
    index = int((images.labels == 1).nonzero()[0])
    Image.fromarray(images.images[index].permute(1, 2, 0).numpy()).save(path)
    return path


if __name__ == "__main__":
    sys.exit(main())
