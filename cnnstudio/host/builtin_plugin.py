"""The internal plugin: registers the built-in classification head.

It is registered first, as an ordinary plugin, so a third-party head sits
beside it on equal terms. The head's spec lives in the core
(``cnnstudio.core.model.builtin_heads``), which loads saved runs without a host.
"""

from __future__ import annotations

from cnnstudio.core.model.builtin_heads import CLASSIFICATION_HEAD
from cnnstudio.core.specs import HeadSpec
from cnnstudio.host.hookspecs import hookimpl


@hookimpl
def cnnstudio_heads() -> list[HeadSpec]:
    """The built-in heads."""
    return [CLASSIFICATION_HEAD]
