"""Fixtures for the trainer tests (helpers live in trainer_helpers.py)."""

from __future__ import annotations

import pytest
from trainer_helpers import Recorder, squares_imageset

from cnnstudio.core.data.imageset import ImageSet
from cnnstudio.core.model.heads import build_classification_head
from cnnstudio.core.specs import HeadSpec


@pytest.fixture
def squares() -> ImageSet:
    return squares_imageset()


@pytest.fixture
def head_spec() -> HeadSpec:
    return HeadSpec("classification", "Classification", build_classification_head, ("classification", "defect"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
