"""Launch CNN Studio: ``python main.py`` (what ``make run`` does).

Opens the desktop app (``cnnstudio.gui.app.main``) when the GUI is installed.
Until the GUI lands, it explains what the app will do and runs a short
headless demo instead: it trains the default dataset with the `recommended`
preset for a few epochs and prints the result and the run folder.
"""

from __future__ import annotations

import multiprocessing
import sys

DEMO_EPOCHS = 3

PREVIEW = """\
CNN Studio (headless preview)

CNN Studio is a desktop workbench for prototyping small CNN image classifiers
for business imaging: retail product photos, manufacturing defects, document
forgery, logos. The desktop app (pick a domain, shape the model, watch the
loss and filters evolve live, inspect mistakes, export) arrives with the GUI.
Everything it will do already runs from the command line: see `cnnstudio --help`.

Demo: training the default dataset with the `recommended` preset for {epochs} epochs.
"""


def run_demo(epochs: int = DEMO_EPOCHS) -> int:
    """Train the default dataset briefly through the CLI and print where the run went."""
    from cnnstudio.cli import main as cli_main

    print(PREVIEW.format(epochs=epochs), flush=True)
    code = cli_main(["train", "--preset", "recommended", "--epochs", str(epochs)])
    if code == 0:
        print("\nNext: `cnnstudio evaluate RUN_DIR`, `cnnstudio predict RUN_DIR image.png`, "
              "`cnnstudio summary --preset seed`.")
    return code


def main() -> int:
    try:
        from cnnstudio.gui.app import main as gui_main
    except ModuleNotFoundError as error:
        # Only a missing GUI package means "no GUI yet"; a GUI that is there but
        # broken (or a missing PySide6) must show its real error.
        if not (error.name or "").startswith("cnnstudio.gui"):
            raise
        return run_demo()
    return int(gui_main() or 0)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
