"""The ranker's fit: a conditional logit over each query's candidates, each query weighted."""

from __future__ import annotations

import numpy as np

from clearway.classify.ranker import Ranker


def queries(seed: int, n: int = 200, candidates: int = 5, features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Queries whose right candidate scores higher on the first feature, more or less."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, candidates, features))
    target = rng.integers(0, candidates, size=n)
    x[np.arange(n), target, 0] += 1.5
    return x, target


def test_a_query_of_weight_zero_teaches_nothing() -> None:
    x, target = queries(1)
    other_x, other_target = queries(2)
    other_x[:, :, 1] += 3 * (np.arange(5) == other_target[:, None])  # teaches feature 1 instead
    alone = Ranker.fit(x, target).weights
    both = Ranker.fit(np.concatenate([x, other_x]), np.concatenate([target, other_target]))
    weighted = Ranker.fit(
        np.concatenate([x, other_x]), np.concatenate([target, other_target]), weight=np.r_[np.ones(200), np.zeros(200)]
    )
    assert np.allclose(weighted.weights, alone, atol=1e-4)
    assert not np.allclose(both.weights, alone, atol=1e-2)


def test_doubling_a_querys_weight_is_counting_it_twice() -> None:
    x, target = queries(3)
    twice = Ranker.fit(np.concatenate([x, x[:50]]), np.concatenate([target, target[:50]])).weights
    weighted = Ranker.fit(x, target, weight=np.r_[2 * np.ones(50), np.ones(150)]).weights
    assert np.allclose(weighted, twice, atol=1e-4)
