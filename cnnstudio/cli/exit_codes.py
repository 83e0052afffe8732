"""The ``cnnstudio`` exit codes (their meaning is in ``cnnstudio.cli.main``'s docstring)."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERNAL, EXIT_ABORTED = 0, 1, 2, 3, 130
