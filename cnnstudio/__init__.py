"""CNN Studio: a workbench for prototyping small CNN image classifiers and detectors.

The package is layered: ``cnnstudio.core`` is pure PyTorch/NumPy (no Qt),
``cnnstudio.gui`` renders core objects, and domain plugins talk to both only
through ``cnnstudio.plugin_api``.
"""

__version__ = "0.1.0"
