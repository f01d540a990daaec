"""The model on top of retrieval: a conditional logit over each query's candidate subheadings.

The index's scores (``index.py``) are the features of a candidate subheading: its nearest text, its
prototype, its heading's and chapter's prototypes and best texts, and how often HMRC's parcel
references use it (a prior). A linear function of them gives each candidate a score; a softmax over
the query's candidates gives probabilities. The weights maximise the likelihood of the right
candidate (L2-penalised, L-BFGS), on retrieval scores computed out of fold, so that they learn how
far to trust a near match to a text the index has never seen, as it will be in use.

The softmax probabilities rank well but are not calibrated: isotonic regression (the targeting
model's ``Isotonic``) maps them to the observed rate at which a candidate with that probability was
right, fitted on out-of-fold candidates too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy.optimize import minimize

from clearway.classify.index import Index
from clearway.risk.learning.calibration import Isotonic

Array = np.ndarray[Any, Any]
FEATURES: Final = (
    "knn6",
    "proto6",
    "proto4",
    "proto2",
    "knn4",
    "knn2",
    "prior",
    "knn6_top",
    "cover",
    "chapter_top",
    "heading_top",
)
CANDIDATES: Final = 40


def candidates(scores: Mapping[str, Array], k: int = CANDIDATES) -> Array:
    """Per query, the ``k`` subheadings with the best retrieval score (unordered)."""
    base = scores["knn6"] + scores["proto6"] + scores["cover"]
    k = min(k, base.shape[1])
    return np.argpartition(-base, k - 1, axis=1)[:, :k]


def features(scores: Mapping[str, Array], chosen: Array, index: Index) -> Array:
    """Queries x candidates x features."""
    rows = np.arange(chosen.shape[0])[:, None]
    knn6 = scores["knn6"][rows, chosen]
    heads = index.head_of[chosen]
    chapters = index.chapter_of[chosen]
    columns = [
        knn6,
        scores["proto6"][rows, chosen],
        scores["proto4"][rows, heads],
        scores["proto2"][rows, chapters],
        scores["knn4"][rows, heads],
        scores["knn2"][rows, chapters],
        index.priors[chosen],
    ]
    # Whether the candidate holds the query's nearest text of all: retrieval's own answer.
    columns.append((knn6 >= knn6.max(axis=1, keepdims=True) - 1e-12).astype(np.float64))
    columns.append(scores["cover"][rows, chosen])
    # The greedy hierarchical decision's answer: the best chapter, and the best heading in it.
    chapter_score = scores["proto2"] + scores["knn2"]
    best_chapter = np.argmax(chapter_score, axis=1)
    columns.append((chapters == best_chapter[:, None]).astype(np.float64))
    heading_score = scores["proto4"] + scores["knn4"]
    in_chapter = index.chapter_of[index.heading_starts][None, :] == best_chapter[:, None]
    best_heading = np.argmax(np.where(in_chapter, heading_score, -np.inf), axis=1)
    columns.append((heads == best_heading[:, None]).astype(np.float64))
    return np.stack(columns, axis=2).astype(np.float64)


def _softmax(z: Array) -> Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Ranker:
    weights: Array
    calibration: Isotonic

    def probabilities(self, x: Array) -> Array:
        """Softmax over each query's candidates (uncalibrated)."""
        return _softmax(x @ self.weights)

    def confidence(self, p: Array) -> Array:
        return np.clip(self.calibration(p.reshape(-1)).reshape(p.shape), 0.0, 1.0)

    @classmethod
    def fit(cls, x: Array, target: Array, penalty: float = 1e-3, weight: Array | None = None) -> Ranker:
        """``target``: per query, the position of the right candidate, or -1 when it is not among them
        (such queries still teach nothing to the softmax, but count in the calibration); ``weight``:
        per query, how much it counts in the likelihood (default: all alike)."""
        keep = target >= 0
        xs, ts = x[keep], target[keep]
        ws = np.ones(len(ts)) if weight is None else np.asarray(weight, dtype=np.float64)[keep]
        total = float(ws.sum())
        n = total if total > 0 else 1.0

        def loss(w: Array) -> tuple[float, Array]:
            z = xs @ w
            p = _softmax(z)
            chosen = (
                z[np.arange(len(ts)), ts] - np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1)) - z.max(axis=1)
            )
            grad_z = p.copy()
            grad_z[np.arange(len(ts)), ts] -= 1.0
            grad = np.einsum("qc,qcf->f", grad_z * ws[:, None], xs) / n + penalty * w
            return float(-(ws * chosen).sum() / n + 0.5 * penalty * w @ w), grad

        start = np.zeros(x.shape[2])
        start[0] = start[1] = 5.0
        result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        weights = np.asarray(result.x, dtype=np.float64)
        p = _softmax(x @ weights)
        right = np.zeros_like(p)
        right[np.flatnonzero(keep), target[keep]] = 1.0
        return cls(weights, Isotonic.fit(p.reshape(-1), right.reshape(-1)))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "weights": self.weights.tolist(), "calibration": self.calibration.to_json()}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Ranker:
        if list(raw["features"]) != list(FEATURES):
            raise ValueError(
                f"the ranker was trained on features {raw['features']}, this code computes {list(FEATURES)}"
            )
        weights = np.asarray([float(v) for v in raw["weights"]], dtype=np.float64)
        if weights.shape != (len(FEATURES),) or not np.all(np.isfinite(weights)):
            raise ValueError("ranker weights are malformed")
        return cls(weights, Isotonic.from_json(raw["calibration"]))
