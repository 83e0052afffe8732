"""The Label tab's "Suggest labels": a trained run pre-labels the unlabelled photos, most uncertain first.

The run is the newest one trained on this folder (else the run shown in the
other tabs, if its task fits). Suggestions arrive as one undo step, marked
"suggested" until the person accepts (Enter) or corrects them, and the tab
switches to the suggestions, the ones the model is least sure of first:
labelling those teaches it the most.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.gui.workers.run_model_cache import RunModelCache
from cnnstudio.gui.workers.suggest_worker import SuggestWorker

if TYPE_CHECKING:
    from cnnstudio.gui.tabs.label.label_view import LabelView

MAX_SUGGESTIONS = 500  # per click: masks are kept at photo size, so a cap keeps memory in check


class LabelSuggester:
    """Runs the suggest worker for the tab and applies what it returns."""

    def __init__(self, view: LabelView) -> None:
        self.view = view
        self.worker = SuggestWorker(RunModelCache(view.controller, view), view)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)

    def run_for_folder(self) -> str:
        """The run to suggest with ("" when none fits): the newest run of this folder, else the current run."""
        from cnnstudio.core.data.dataset_ids import folder_dataset_id
        from cnnstudio.core.errors import CNNStudioError
        from cnnstudio.core.labels.suggest import run_matches_labels
        from cnnstudio.core.runs.folder import list_runs

        labels = self.view.labels
        if labels is None:
            return ""
        folder_id = folder_dataset_id(labels.root)
        for run in reversed(list_runs(self.view.controller.runs_root)):
            try:
                same = run.read_info().get("dataset_id") == folder_id
            except CNNStudioError:
                continue
            if same and run_matches_labels(run.path, labels) is None:
                return str(run.path)
        current = self.view.controller.current_run
        if current and run_matches_labels(current, labels) is None:
            return str(current)
        return ""

    def suggest(self) -> None:
        view = self.view
        labels = view.labels
        if labels is None:
            return
        run_dir = self.run_for_folder()
        if not run_dir:
            view._say("error", "No trained run fits these labels yet: label a few photos of each class, train "
                               "(Train tab), then ask for suggestions.")
            return
        images = labels.unlabelled()[:MAX_SUGGESTIONS]
        if not images:
            view._say("info", "Every photo is labelled, skipped or unsure: nothing to suggest.")
            return
        view.toolbar.suggest.setEnabled(False)
        view._say("info", f"Suggesting labels for {len(images)} photos with {Path(run_dir).name}...")
        self.worker.request(run_dir, labels, images)

    def _on_progress(self, done: int, total: int) -> None:
        self.view._say("info", f"Suggesting labels: {done} of {total} photos...")

    def _on_finished(self, run_dir: str, suggestions: dict[str, Any], error: str) -> None:
        view, session = self.view, self.view.session
        view.toolbar.suggest.setEnabled(True)
        if error:
            view._say("error", f"Could not suggest labels with {Path(run_dir).name}: {error}")
            return
        if session is None or not suggestions:
            return
        labels = session.labels
        # Only photos still unlabelled: the person may have labelled some while the model worked.
        fresh = {key: label for key, label in suggestions.items()
                 if key in labels.images and labels.get(key).status == "unlabelled"}
        missing = sorted({name for label in fresh.values()
                          for name in [label.class_name, *(b.class_name for b in label.boxes)]
                          if name and name not in labels.class_names})
        if missing:
            session.change_classes(f"Add {', '.join(missing)}", lambda target: [target.add_class(n) for n in missing])
        session.apply(f"Suggest {len(fresh)} labels", {key: replace(label, suggested=True)
                                                        for key, label in fresh.items()})
        view.choose_filter("suggested")
        view.toolbar.show_filters(labels.class_names, "suggested")
        if view.rows:
            view.show_image(view.rows[0])
        view._say("info", f"{len(fresh)} suggestions from {Path(run_dir).name}, the least certain first: press "
                          "Enter to accept one, or correct it (a number key, a box, the brush).")

    def shutdown(self) -> None:
        self.worker.cancel()
