"""Isotonic calibration: a boosted model's raw scores turned into probabilities that mean what they say.

Gradient boosting ranks well but its scores are not probabilities; an officer reading "23 % chance
of a finding" should be right about 23 % of the time. Isotonic regression (pool adjacent violators)
fits the monotone step function from raw score to observed finding rate on data the trees did not
see (the latest part of the training window). It is stored as two lists of numbers in the manifest,
so the calibrated model remains plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class Isotonic:
    """A non-decreasing map from raw score to probability, linear between its knots."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    @classmethod
    def fit(cls, raw: Array, labels: Array, max_knots: int = 200) -> Isotonic:
        # Equal raw scores are one point (their mean label, weighted by their count): otherwise the
        # fit would depend on the order of tied rows.
        xs, inverse, counts = np.unique(raw.astype(np.float64), return_inverse=True, return_counts=True)
        ys = np.bincount(inverse, weights=labels.astype(np.float64)) / counts
        # Pool adjacent violators over blocks (value, weight, first x, last x).
        values: list[float] = []
        weights: list[float] = []
        lows: list[float] = []
        highs: list[float] = []
        for x, y, w in zip(xs.tolist(), ys.tolist(), counts.tolist(), strict=True):
            values.append(y)
            weights.append(float(w))
            lows.append(x)
            highs.append(x)
            while len(values) > 1 and values[-2] >= values[-1]:
                w = weights[-2] + weights[-1]
                v = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
                values[-2:] = [v]
                weights[-2:] = [w]
                lows[-2:] = [lows[-2]]
                highs[-2:] = [highs[-1]]
        knots_x: list[float] = []
        knots_y: list[float] = []
        for v, lo, hi in zip(values, lows, highs, strict=True):
            knots_x += [lo, hi] if hi > lo else [lo]
            knots_y += [v, v] if hi > lo else [v]
        if len(knots_x) > max_knots:
            keep = np.unique(np.linspace(0, len(knots_x) - 1, max_knots).round().astype(int))
            knots_x = [knots_x[i] for i in keep]
            knots_y = [knots_y[i] for i in keep]
        return cls(tuple(knots_x), tuple(knots_y))

    def __call__(self, raw: Array) -> Array:
        if not self.x:
            return raw
        return np.asarray(np.interp(raw, np.asarray(self.x), np.asarray(self.y)), dtype=np.float64)

    def to_json(self) -> dict[str, list[float]]:
        return {"x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, raw: dict[str, list[float]]) -> Isotonic:
        if len(raw["x"]) != len(raw["y"]):
            raise ValueError("calibration knots must pair up")
        return cls(tuple(float(v) for v in raw["x"]), tuple(float(v) for v in raw["y"]))
