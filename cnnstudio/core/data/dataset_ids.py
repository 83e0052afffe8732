"""Dataset ids: a registered id ("retail.products") or an opened folder ("folder:/home/ana/bottles").

A folder layout plugin names the folder it opened ``folder:<absolute path>``;
the host, a saved config, the CLI and the training child all accept that id
back, and also a plain path (relative, ``~``, spaces and non-ASCII names
included). These helpers are the one place that knows the spelling.

    folder_dataset_id(Path("~/photos"))        # 'folder:/home/ana/photos'
    dataset_folder("folder:/home/ana/photos")  # Path('/home/ana/photos')
    dataset_folder("retail.products")          # None: a registered id
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_PREFIX = "folder:"


def folder_dataset_id(path: str | Path) -> str:
    """The dataset id of an opened folder: ``folder:`` and its absolute path."""
    return FOLDER_PREFIX + str(absolute_folder(path))


def absolute_folder(path: str | Path, base: str | Path | None = None) -> Path:
    """``path`` with ``~`` expanded, made absolute against ``base`` (default: the working folder)."""
    folder = Path(path).expanduser()
    if not folder.is_absolute():
        folder = Path(base if base is not None else os.getcwd()) / folder
    return Path(os.path.normpath(folder))


def looks_like_folder(dataset_id: str) -> bool:
    """True when ``dataset_id`` names a folder rather than a registered dataset."""
    text = str(dataset_id)
    return (text.startswith(FOLDER_PREFIX) or os.sep in text or "/" in text
            or text.startswith((".", "~")))


def dataset_folder(dataset_id: str, base: str | Path | None = None) -> Path | None:
    """The folder an id names (``folder:PATH`` or a path-like id), absolute; None for a registered id.

    A plain name with no slash (``bottles``) counts only when such a folder exists,
    because registered ids have no slash either.
    """
    text = str(dataset_id)
    if text.startswith(FOLDER_PREFIX):
        return absolute_folder(text[len(FOLDER_PREFIX):], base)
    if looks_like_folder(text) or absolute_folder(text, base).is_dir():
        return absolute_folder(text, base)
    return None


def anchored_dataset_id(dataset_id: str, base: str | Path) -> str:
    """A folder id written relative to ``base`` (a config file's folder), made absolute; other ids as they are.

    ``dataset.id = "photos"`` in ``/work/run.toml`` then means ``/work/photos`` from any working folder.
    A relative folder that exists only from the working folder is left for the host to find there.
    """
    text = str(dataset_id)
    path_text = text[len(FOLDER_PREFIX):] if text.startswith(FOLDER_PREFIX) else text
    if Path(path_text).expanduser().is_absolute() or not (looks_like_folder(text) or text.startswith(FOLDER_PREFIX)
                                                          or (Path(base) / path_text).is_dir()):
        return text
    anchored = absolute_folder(path_text, base)
    return folder_dataset_id(anchored) if anchored.is_dir() else text
