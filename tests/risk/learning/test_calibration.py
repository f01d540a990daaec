"""Isotonic calibration: monotone, faithful to observed rates, plain data."""

from __future__ import annotations

import numpy as np

from clearway.risk.learning.calibration import Isotonic


def test_pool_adjacent_violators_by_hand() -> None:
    # Raw 1..4 with labels 0,1,0,1: the violating middle pair pools to 0.5.
    fitted = Isotonic.fit(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert fitted(np.array([1.0, 2.0, 3.0, 4.0])).tolist() == [0.0, 0.5, 0.5, 1.0]


def test_calibrated_probabilities_match_observed_rates() -> None:
    rng = np.random.default_rng(3)
    raw = rng.normal(size=50_000)
    truth = 1 / (1 + np.exp(-(2 * raw - 1)))  # the real probability is a monotone map of raw
    labels = (rng.random(raw.size) < truth).astype(np.float64)
    fitted = Isotonic.fit(raw, labels)
    probability = fitted(raw)
    assert np.all(np.diff(probability[np.argsort(raw)]) >= -1e-12)
    for low, high in ((0.05, 0.15), (0.4, 0.6), (0.8, 0.95)):
        band = (probability >= low) & (probability < high)
        assert abs(labels[band].mean() - probability[band].mean()) < 0.02


def test_round_trip_through_json() -> None:
    fitted = Isotonic.fit(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 1.0]))
    again = Isotonic.from_json(fitted.to_json())
    assert again == fitted


def test_tied_scores_are_pooled_whatever_their_order() -> None:
    # Two rows share the raw score 1: their labels 0 and 1 average to 0.5 in either order.
    for labels in ([0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]):
        fitted = Isotonic.fit(np.array([0.0, 1.0, 1.0, 2.0]), np.array(labels))
        assert fitted(np.array([1.0])).tolist() == [0.5]
