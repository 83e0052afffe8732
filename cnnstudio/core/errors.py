"""Errors meant for people: their message is shown as-is by the CLI and the GUI.

Anything that is *not* a ``CNNStudioError`` is a bug; front ends log its
traceback and show a short generic message instead.
"""


class CNNStudioError(Exception):
    """Base class for errors whose message is written for the user."""


class ConfigError(CNNStudioError):
    """A configuration value is invalid. The message names the field, e.g.
    ``training.lr must be > 0, got -1``."""


class DatasetError(CNNStudioError):
    """A dataset cannot be found, opened or used (names the path or id)."""


class NeedsLabelsError(DatasetError):
    """A folder of images cannot train until more of it is labelled (the Label tab is where to go)."""


class RunError(CNNStudioError):
    """A run folder is missing, incomplete or damaged (names the file)."""


class TrainingError(CNNStudioError):
    """Training cannot go on (for example the loss became NaN)."""


class ExportError(CNNStudioError):
    """An exported model cannot be written (names the file and the cause, e.g.
    ``cannot write /x/model.onnx: No space left on device``)."""
