"""ImageSet.split_roles: training-only and evaluation-only images, honoured by every split."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.core.data.imageset import ANY_SPLIT, EVAL_ONLY, TRAIN_ONLY, ImageSet
from cnnstudio.core.data.splits import split_by_role, stratified_split
from cnnstudio.core.errors import DatasetError


def _roles(labels: torch.Tensor) -> torch.Tensor:
    """Good images anywhere, defects 0..19 evaluation-only, the last 40 images (synthetic) training-only."""
    roles = torch.full_like(labels, ANY_SPLIT)
    roles[(labels == 1).nonzero().reshape(-1)[:20]] = EVAL_ONLY
    roles[-40:] = TRAIN_ONLY
    return roles


LABELS = torch.tensor([0] * 100 + [1] * 20 + [1] * 40)


def test_without_roles_the_split_is_the_stratified_split():
    for got, expected in zip(split_by_role(LABELS, None, 0.2, 0.1, 5), stratified_split(LABELS, 0.2, 0.1, 5)):
        assert torch.equal(got, expected)


def test_training_only_images_train_and_evaluation_only_images_never_do():
    roles = _roles(LABELS)
    train, val, test = split_by_role(LABELS, roles, 0.2, 0.1, seed=3)
    assert sorted(torch.cat([train, val, test]).tolist()) == list(range(len(LABELS)))
    assert set(roles[train].tolist()) == {ANY_SPLIT, TRAIN_ONLY} and (roles == TRAIN_ONLY).sum() == (roles[train] == TRAIN_ONLY).sum()
    assert EVAL_ONLY not in roles[train].tolist()
    assert TRAIN_ONLY not in roles[torch.cat([val, test])].tolist()
    # The 20 held defects are shared 2:1 between validation and test; the good images split as usual.
    assert (roles[val] == EVAL_ONLY).sum() == 13 and (roles[test] == EVAL_ONLY).sum() == 7
    assert torch.bincount(LABELS[val], minlength=2).tolist() == [20, 13]
    for part in (train, val, test):
        assert torch.equal(part, torch.sort(part).values)


def test_evaluation_only_images_all_validate_without_a_test_fraction_and_the_split_repeats():
    roles = _roles(LABELS)
    train, val, test = split_by_role(LABELS, roles, 0.2, 0.0, seed=1)
    assert (roles[val] == EVAL_ONLY).sum() == 20 and len(test) == 0
    again = split_by_role(LABELS, roles, 0.2, 0.0, seed=1)
    assert all(torch.equal(a, b) for a, b in zip((train, val, test), again))


def test_imageset_checks_and_subsets_its_split_roles():
    images = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    data = ImageSet(images, torch.tensor([0, 0, 1, 1]), ["good", "defect"], split_roles=torch.tensor([0, 1, 2, 0]))
    assert data.subset([2, 1]).split_roles.tolist() == [EVAL_ONLY, TRAIN_ONLY]
    assert ImageSet(images, torch.zeros(4), ["good"]).subset([0]).split_roles is None
    with pytest.raises(DatasetError, match="split roles must be"):
        ImageSet(images, torch.zeros(4), ["good"], name="x", split_roles=torch.tensor([0, 1, 2, 3]))
    with pytest.raises(DatasetError, match="expected 4 split roles"):
        ImageSet(images, torch.zeros(4), ["good"], name="x", split_roles=torch.tensor([0, 1]))


def test_the_all_split_scores_every_image_but_those_made_only_to_train_on():
    from cnnstudio.core.config import TrainingConfig
    from cnnstudio.core.evaluate.evaluation import split_indices

    labels = torch.tensor([0, 0, 1, 1, 0, 1])
    roles = torch.tensor([ANY_SPLIT, ANY_SPLIT, EVAL_ONLY, TRAIN_ONLY, ANY_SPLIT, TRAIN_ONLY])
    assert split_indices(TrainingConfig(), 0, labels, "all", roles).tolist() == [0, 1, 2, 4]
    assert split_indices(TrainingConfig(), 0, labels, "all").tolist() == list(range(6))
