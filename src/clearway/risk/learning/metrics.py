"""How well a ranking targets inspections, as the customs fraud-detection literature reports it.

Rank the consignments by score, inspect the top n %, and report (DATE, KDD 2020):

- Precision@n%: the share of the inspected that were non-compliant;
- Recall@n%: the share of all non-compliant consignments that were inspected;
- Revenue@n%: the share of all recoverable revenue that the inspected consignments carry;

for n = 1, 2, 5 and 10, and the AUC of the score against the label (the probability that a random
non-compliant consignment is ranked above a random compliant one, ties counting half).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

SHARES: tuple[int, ...] = (1, 2, 5, 10)
Array = np.ndarray[Any, np.dtype[np.float64]]


def auc(scores: Array, labels: Array) -> float | None:
    """Mann-Whitney AUC with average ranks for ties; None when only one class is present."""
    positives = float(labels.sum())
    negatives = float(len(labels) - positives)
    if positives == 0 or negatives == 0:
        return None
    ranks = average_ranks(np.nan_to_num(scores, nan=-np.inf))  # a missing score ranks last, as in top()
    return float((ranks[labels > 0].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_ranks(values: Array) -> Array:
    """Ranks from 1, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1 .. ends, averaged
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def top(scores: Array, share: float) -> np.ndarray[Any, np.dtype[np.intp]]:
    """The indices of the ``share`` (0-1) highest scores; ties broken by position, stably."""
    k = max(1, math.ceil(share * len(scores))) if len(scores) else 0
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
    return order[:k]


def at_shares(
    scores: Array, labels: Array, revenue: Array, shares: Sequence[int] = SHARES
) -> dict[str, dict[str, float]]:
    """``{"precision": {"1": ..}, "recall": {..}, "revenue": {..}}`` for each share in percent."""
    total_found = float(labels.sum())
    total_revenue = float(revenue.sum())
    out: dict[str, dict[str, float]] = {"precision": {}, "recall": {}, "revenue": {}}
    for n in shares:
        chosen = top(scores, n / 100)
        found = float(labels[chosen].sum())
        out["precision"][str(n)] = found / len(chosen) if len(chosen) else 0.0
        out["recall"][str(n)] = found / total_found if total_found else 0.0
        out["revenue"][str(n)] = float(revenue[chosen].sum()) / total_revenue if total_revenue else 0.0
    return out


def report(scores: Array, labels: Array, revenue: Array) -> dict[str, Any]:
    """AUC and the metrics at 1, 2, 5 and 10 % of one ranking."""
    return {"auc": auc(scores, labels), **at_shares(scores, labels, revenue)}
