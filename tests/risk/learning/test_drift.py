"""The population stability index: near zero for the same distribution, large for a shift."""

from __future__ import annotations

import numpy as np

from clearway.risk.learning.drift import fit_bins, psi, reading


def test_same_distribution_is_stable_and_a_shift_is_not() -> None:
    rng = np.random.default_rng(1)
    bins = fit_bins(rng.normal(size=20_000))
    same = psi(bins, rng.normal(size=20_000))
    shifted = psi(bins, rng.normal(loc=1.0, size=20_000))
    assert same < 0.01 and reading(same) == "stable"
    assert shifted > 0.25 and reading(shifted) == "shift: retrain"


def test_missing_values_have_their_own_bin() -> None:
    values = np.array([1.0, 2.0, np.nan, 4.0] * 100)
    bins = fit_bins(values)
    assert bins["shares"][-1] == 0.25
    assert psi(bins, np.full(100, np.nan)) > 1.0


def test_a_feature_never_seen_in_training_is_stable_when_still_missing() -> None:
    bins = fit_bins(np.full(100, np.nan))
    assert psi(bins, np.full(50, np.nan)) == 0.0
