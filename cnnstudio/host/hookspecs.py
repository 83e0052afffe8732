"""The plugin contract: the hooks a CNN Studio plugin may implement.

A plugin is a module (or an object) with functions decorated by ``hookimpl``
and named after the specs below. Every hook is optional. See docs/plugins.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from cnnstudio.core.events import Event
    from cnnstudio.core.specs import DatasetSpec, HeadSpec, LabelKindSpec

PROJECT_NAME = "cnnstudio"
ENTRY_POINT_GROUP = "cnnstudio"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cnnstudio_datasets() -> list[DatasetSpec]:
    """Return the datasets this plugin offers, as a list of ``DatasetSpec``.

    Called once when plugins are loaded. Must be cheap: return descriptors
    whose ``load`` does the real work later.

    Example::

        @hookimpl
        def cnnstudio_datasets():
            return [DatasetSpec(id="acme.bolts", title="Bolts", domain="Manufacturing",
                                description="...", load=load_bolts)]
    """
    raise NotImplementedError  # a spec: pluggy calls the plugins' implementations, never this


@hookspec
def cnnstudio_heads() -> list[HeadSpec]:
    """Return the model heads this plugin offers, as a list of ``HeadSpec``.

    A head turns the backbone's feature map into predictions and owns its
    loss, decoding and metrics. Called once when plugins are loaded.

    Example::

        @hookimpl
        def cnnstudio_heads():
            return [HeadSpec(id="acme.count", title="Counter", tasks=("classification",),
                             build=CountHead)]
    """
    raise NotImplementedError  # a spec: pluggy calls the plugins' implementations, never this


@hookspec
def cnnstudio_label_kinds() -> list[LabelKindSpec]:
    """Return the label kinds this plugin adds to the Label tab, as a list of ``LabelKindSpec``.

    A label kind is a labelling tool with a purpose: it draws one of the
    shapes (``classes``, ``boxes``, ``masks``), starts with its own classes
    and tells the person what to draw. Called once when plugins are loaded;
    the built-in kinds come first, then the plugins' in plugin order.

    Example::

        @hookimpl
        def cnnstudio_label_kinds():
            return [LabelKindSpec(id="acme.weld_seam", title="Weld seam", kind="masks",
                                  classes=("porosity", "crack"), domain="Manufacturing",
                                  hint="Paint the faulty part of the seam only.")]
    """
    raise NotImplementedError  # a spec: pluggy calls the plugins' implementations, never this


@hookspec(firstresult=True)
def cnnstudio_open_folder(path: Path) -> DatasetSpec | None:
    """Claim a folder of the user's images: return a ``DatasetSpec`` that
    loads it, or ``None`` if the layout is not yours.

    Called when a person opens a folder (``cnnstudio train --dataset DIR``,
    "Open image folder..." in the app). Implementations are asked in plugin
    order and the first that does not return ``None`` wins; look at the
    layout cheaply (names, not pixels).

    Example::

        @hookimpl
        def cnnstudio_open_folder(path):
            if not (path / "annotations.csv").exists():
                return None
            return DatasetSpec(id=f"csv:{path}", ..., load=lambda options: load_csv(path, options))
    """


@hookspec
def cnnstudio_on_event(event: Event) -> None:
    """Observe a training event (run started, epoch ended, finished, ...).

    Called for every event a run emits, in the process that trains. Use it
    for loggers (TensorBoard, CSV, a webhook). Must be quick; exceptions are
    recorded against the plugin and do not stop training.

    Example::

        @hookimpl
        def cnnstudio_on_event(event):
            if isinstance(event, EpochEnded):
                print(event.epoch, event.metrics["val_accuracy"])
    """
