"""What the plugin manager records about each plugin: what it contributes, and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PluginSource:
    """Where a plugin came from: how it was found, its file or distribution, and its version."""

    origin: str  # "internal" | "builtin" | "entry point" | "folder"
    location: str
    version: str = ""


class _ReadsSource:
    """``origin``, ``location`` and ``version`` of a record, read from its ``source`` (the names the GUI, CLI and tests use)."""

    source: PluginSource

    @property
    def origin(self) -> str:
        return self.source.origin

    @property
    def location(self) -> str:
        return self.source.location

    @property
    def version(self) -> str:
        return self.source.version


@dataclass(frozen=True)
class PluginRecord(_ReadsSource):
    """A plugin that loaded, and what it contributes."""

    name: str
    source: PluginSource
    datasets: tuple[str, ...]
    heads: tuple[str, ...]
    layouts: bool  # implements cnnstudio_open_folder
    observer: bool  # implements cnnstudio_on_event

    def as_dict(self) -> dict[str, Any]:
        """Its fields, flat and in the order ``cnnstudio plugins --json`` prints them."""
        return {"name": self.name, "origin": self.origin, "location": self.location, "version": self.version,
                "datasets": list(self.datasets), "heads": list(self.heads),
                "layouts": self.layouts, "observer": self.observer}


@dataclass(frozen=True)
class PluginFailure(_ReadsSource):
    """Something a plugin did wrong; ``hook`` is "import" when it did not load."""

    plugin: str
    source: PluginSource
    hook: str
    message: str  # one readable line
    traceback: str = ""

    def as_dict(self) -> dict[str, str]:
        """Its fields, flat and in the order ``cnnstudio plugins --json`` prints them (no version: the plugin's record has it)."""
        return {"plugin": self.plugin, "origin": self.origin, "location": self.location, "hook": self.hook,
                "message": self.message, "traceback": self.traceback}


def one_line(exc: BaseException) -> str:
    """An exception as one readable line: its type and the first line of its message."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
