"""Drift: do recent consignments still look like the ones the model was trained on?

The population stability index (PSI) compares the share of recent values in each decile bin of the
training window with the share the training window had (10 % each): sum of (recent - expected) x
ln(recent / expected). The usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above
0.25 a shift that calls for retraining. It is computed for the model's score and for each feature;
the bins are stored in the model's manifest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[np.float64]]
_FLOOR = 1e-4  # a share of 0 would make the logarithm infinite
STABLE, SHIFTED = 0.1, 0.25


def fit_bins(values: Array, bins: int = 10) -> dict[str, list[float]]:
    """Interior quantile edges of ``values`` and the share of values (missing included) in each bin."""
    present = values[~np.isnan(values)]
    if not len(present):
        return {"edges": [], "shares": [0.0, 1.0]}  # one (empty) bin of values, then all missing
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    return {"edges": edges.tolist(), "shares": _shares(values, edges).tolist()}


def _shares(values: Array, edges: Array) -> Array:
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(edges, values[~missing], side="right"), minlength=len(edges) + 1)
    counts = np.append(counts, missing.sum()).astype(np.float64)
    return counts / max(len(values), 1)


def psi(reference: Mapping[str, Sequence[float]], values: Array) -> float:
    """The PSI of ``values`` against a ``fit_bins`` reference (0 when there is nothing to compare)."""
    if not len(values):
        return 0.0
    edges = np.asarray(reference["edges"], dtype=np.float64)
    expected = np.asarray(reference["shares"], dtype=np.float64)
    if len(expected) == len(edges) + 1:  # a reference fitted without missing values
        expected = np.append(expected, 0.0)
    actual = _shares(values, edges)
    e, a = np.maximum(expected, _FLOOR), np.maximum(actual, _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def reading(value: float) -> str:
    if math.isnan(value) or value < STABLE:
        return "stable"
    return "moderate shift" if value < SHIFTED else "shift: retrain"
