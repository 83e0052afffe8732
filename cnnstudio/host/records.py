"""What the plugin manager records about each plugin: what it contributes, and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PluginRecord:
    """A plugin that loaded, and what it contributes."""

    name: str
    origin: str  # "internal" | "builtin" | "entry point" | "folder"
    location: str
    version: str
    datasets: tuple[str, ...]
    heads: tuple[str, ...]
    layouts: bool  # implements cnnstudio_open_folder
    observer: bool  # implements cnnstudio_on_event


@dataclass(frozen=True)
class PluginFailure:
    """Something a plugin did wrong; ``hook`` is "import" when it did not load."""

    plugin: str
    origin: str
    location: str
    hook: str
    message: str  # one readable line
    traceback: str = ""


def one_line(exc: BaseException) -> str:
    """An exception as one readable line: its type and the first line of its message."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
