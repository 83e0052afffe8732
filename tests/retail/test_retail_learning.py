"""The retail dataset is learnable by the lesson's seed model, and "hard" is harder."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_seed_model_learns_default_products(products, train):
    accuracy = train(products(count=1600), epochs=4)
    assert accuracy[-1] >= 0.85, accuracy


@pytest.mark.slow
def test_hard_is_clearly_harder_than_normal_under_the_same_training(products, train):
    normal = train(products(count=600, seed=1), epochs=2)[-1]
    hard = train(products(count=600, seed=1, difficulty="hard"), epochs=2)[-1]
    assert normal - hard >= 0.1, (normal, hard)
