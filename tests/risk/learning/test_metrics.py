"""Ranking metrics against hand-computed figures and a brute-force AUC."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clearway.risk.learning.metrics import at_shares, auc, average_ranks, report, top


def brute_auc(scores: list[float], labels: list[int]) -> float:
    pairs = [(p, n) for p, n in itertools.product(range(len(scores)), repeat=2) if labels[p] and not labels[n]]
    wins = sum(1.0 if scores[p] > scores[n] else 0.5 if scores[p] == scores[n] else 0.0 for p, n in pairs)
    return wins / len(pairs)


def test_precision_recall_and_revenue_at_shares_by_hand() -> None:
    # 100 consignments; the 10 highest scores hold 4 findings, worth 30 of the 100 EUR recoverable.
    scores = np.arange(100, 0, -1, dtype=np.float64)
    labels = np.zeros(100)
    revenue = np.zeros(100)
    labels[[0, 1, 5, 9]] = 1  # in the top 10; rows 0-1 are the top 2
    revenue[[0, 5]] = [10.0, 20.0]
    labels[[50, 70]] = 1
    revenue[50] = 70.0
    m = at_shares(scores, labels, revenue)
    assert m["precision"] == {"1": 1.0, "2": 1.0, "5": 0.4, "10": 0.4}
    assert m["recall"] == {"1": 1 / 6, "2": 2 / 6, "5": 2 / 6, "10": 4 / 6}
    assert m["revenue"] == {"1": 0.1, "2": 0.1, "5": 0.1, "10": 0.3}


def test_top_takes_at_least_one_and_rounds_up() -> None:
    scores = np.array([0.1, 0.9, 0.5])
    assert top(scores, 0.01).tolist() == [1]
    assert top(scores, 0.5).tolist() == [1, 2]


@pytest.mark.parametrize("seed", range(5))
def test_auc_agrees_with_brute_force_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, 40).astype(np.float64)  # many ties
    labels = (rng.random(40) < 0.3).astype(np.float64)
    assert auc(scores, labels) == pytest.approx(brute_auc(scores.tolist(), labels.astype(int).tolist()))


def test_auc_of_a_perfect_an_inverted_and_a_one_class_ranking() -> None:
    labels = np.array([1.0, 1.0, 0.0, 0.0])
    assert auc(np.array([4.0, 3.0, 2.0, 1.0]), labels) == 1.0
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), labels) == 0.0
    assert auc(np.array([1.0, 2.0]), np.array([0.0, 0.0])) is None


def test_average_ranks_share_ties() -> None:
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_report_has_every_share() -> None:
    r = report(np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([5.0, 0.0]))
    assert r["auc"] == 1.0 and set(r["revenue"]) == {"1", "2", "5", "10"}
