"""The ``in_memory_limit_mb`` option of a folder import: above it, decoded images stay on disk.

A folder whose decoded images (``images x 3 x size x size`` bytes) exceed the
limit is imported into a memory-mapped file in the cache folder
(``disk_images``) instead of memory. ``"auto"`` is a quarter of the memory
available when the folder loads (training holds the images about three times:
loaded, split and resized); ``0`` always keeps them on disk. No torch here, so
plugins can declare the option cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnstudio.core.errors import ConfigError
from cnnstudio.core.shorten import shown
from cnnstudio.core.specs import DatasetOption

OPTION_NAME = "in_memory_limit_mb"
AUTO = "auto"
AUTO_SHARE = 0.25  # of the available memory
FALLBACK_LIMIT = 2 << 30  # when the available memory is unknown
MEBIBYTE = 1 << 20
LIMIT_HELP = (f"decoded images larger than this many MiB are kept in a memory-mapped file in the cache "
              f"folder instead of memory (0: always; \"{AUTO}\": a quarter of the memory available)")


@dataclass(frozen=True)
class InMemoryLimitOption(DatasetOption):
    """``"auto"`` or a whole number of MiB, at least 0."""

    def validate(self, value: Any, dataset_id: str) -> Any:
        if isinstance(value, str) and value.strip().lower() == AUTO:
            return AUTO
        try:
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            number = int(float(value))
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"dataset.options.{self.name} for {dataset_id} must be \"{AUTO}\" or a whole "
                              f"number of MiB, got {shown(value)}") from None
        if number < 0:
            raise ConfigError(f"dataset.options.{self.name} must be >= 0, got {number}")
        return number


def in_memory_limit_option() -> InMemoryLimitOption:
    """The ``in_memory_limit_mb`` option, ``"auto"`` by default."""
    return InMemoryLimitOption(OPTION_NAME, AUTO, LIMIT_HELP)


def in_memory_limit_bytes(value: Any, available: int | None) -> int:
    """The limit in bytes: ``value`` MiB, or for ``"auto"`` AUTO_SHARE of ``available`` bytes."""
    if value is None or value == AUTO:
        return int(AUTO_SHARE * available) if available else FALLBACK_LIMIT
    return int(value) * MEBIBYTE


def decoded_bytes(images: int, size: int) -> int:
    """Bytes of ``images`` decoded at ``size`` x ``size`` (uint8, three channels)."""
    return int(images) * 3 * int(size) * int(size)
