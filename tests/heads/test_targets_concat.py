"""Targets.concat joins the targets of several batches, and refuses parts that disagree on masks or boxes."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.core.model.heads import Targets


def test_concat_joins_labels_masks_and_boxes_in_order():
    first = Targets(torch.tensor([0, 1]), masks=torch.zeros(2, 4, 4), boxes=[torch.zeros(0, 4), torch.ones(1, 4)])
    second = Targets(torch.tensor([1]), masks=torch.ones(1, 4, 4), boxes=[torch.full((2, 4), 2.0)])
    joined = Targets.concat([first, second])
    assert joined.labels.tolist() == [0, 1, 1]
    assert joined.masks is not None and joined.masks.shape == (3, 4, 4)
    assert joined.masks[2].eq(1).all() and joined.masks[:2].eq(0).all()
    assert joined.boxes is not None and [tuple(b.shape) for b in joined.boxes] == [(0, 4), (1, 4), (2, 4)]


def test_concat_without_masks_or_boxes_keeps_them_absent():
    joined = Targets.concat([Targets(torch.tensor([0])), Targets(torch.tensor([1]))])
    assert joined.labels.tolist() == [0, 1] and joined.masks is None and joined.boxes is None


@pytest.mark.parametrize("field", ["masks", "boxes"])
def test_concat_names_the_field_when_only_some_parts_have_it(field):
    present = {"masks": torch.zeros(1, 4, 4), "boxes": [torch.zeros(0, 4)]}[field]
    parts = [Targets(torch.tensor([0]), **{field: present}), Targets(torch.tensor([1]))]
    with pytest.raises(TypeError, match=f"first part has {field}, but not every other part does"):
        Targets.concat(parts)
