"""The evaluation of targeting: the model against its baselines, on a split by time.

The labelled history is cut at a point in time: the model and the plain baseline learn from what
came before, every ranking is scored on what came after (never a random split: a random split lets
a seller's later findings teach the model about the seller's earlier parcels). The test period
sees the training window's labels as each became known before its own arrival, never its own
labels.

Rankings compared (DATE, KDD 2020; DOMAIN.md section 6):

- ``model``: the calibrated classifier and the revenue model, ranked by expected value;
- ``gbdt_baseline``: a plain gradient-boosting classifier on the raw fields of the declaration;
- ``rules``: the targeting rules' score (data quality breaking ties);
- ``value``: the declared value, highest first;
- ``random``: a seeded random order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from clearway.risk.learning.features import BASELINE_FEATURES, feature_frame, fit_references, matrix, with_keys
from clearway.risk.learning.history import History
from clearway.risk.learning.metrics import Array, report
from clearway.risk.learning.model import TrainConfig, fit_classifier, train, with_label_times

RANKINGS: tuple[str, ...] = ("model", "gbdt_baseline", "rules", "value", "random")


def time_split(labelled: pl.DataFrame, train_share: float) -> tuple[pl.DataFrame, pl.DataFrame, dt.datetime]:
    """Rows received before the cut (the ``train_share`` quantile of arrival times) and after it."""
    if not 0.1 <= train_share <= 0.9:
        raise ValueError("train_share must be between 0.1 and 0.9")
    ordered = labelled.sort("received_at", maintain_order=True)
    cut = ordered["received_at"][int(ordered.height * train_share)]
    if not isinstance(cut, dt.datetime):
        raise ValueError("received_at must be a datetime column")
    return ordered.filter(pl.col("received_at") < cut), ordered.filter(pl.col("received_at") >= cut), cut


def baseline_scores(train_rows: pl.DataFrame, test_rows: pl.DataFrame, config: TrainConfig) -> Array:
    """A plain LightGBM classifier on the raw fields (no references, history, rules or calibration)."""
    references = fit_references(with_keys(train_rows))
    empty = History.empty()
    names = [f.name for f in BASELINE_FEATURES]
    categorical = [f.name for f in BASELINE_FEATURES if f.kind == "categorical"]
    x = matrix(feature_frame(train_rows, references, empty, features=BASELINE_FEATURES))
    y = train_rows["label"].cast(pl.Float64).to_numpy()
    valid = int(len(y) * config.validation_share) if len(y) >= 500 else 0
    booster = fit_classifier(x, y, names, categorical, config, valid)
    test_x = matrix(feature_frame(test_rows, references, empty, features=BASELINE_FEATURES))
    return np.asarray(booster.predict(test_x, num_threads=config.threads), dtype=np.float64)


def rule_scores(rows: pl.DataFrame) -> Array:
    """The rules' score; among equal scores, poorer data quality first."""
    score = rows["rule_score"].fill_null(0).cast(pl.Float64).to_numpy()
    quality = rows["quality_score"].fill_null(100).cast(pl.Float64).to_numpy()
    return score + (100.0 - quality) / 1000.0


def evaluate(
    labelled: pl.DataFrame,
    config: TrainConfig | None = None,
    *,
    train_share: float = 0.7,
    seed: int = 0,
) -> dict[str, Any]:
    """Train on the past, rank the future five ways, and report each ranking's metrics."""
    config = config or TrainConfig()
    past, future, cut = time_split(labelled, train_share)
    if future.height == 0 or future["label"].sum() == 0:
        raise ValueError("the test period has no findings to find")
    model = train(past, config)
    # The test period reads the training labels as they became known: a consignment that arrived a
    # day after the cut does not see a label recorded two days after it (the model's stored snapshot
    # would show it every label of the training window, whenever recorded).
    known = History.from_labels(with_keys(with_label_times(past, config.label_delay_days)))
    _, _, value = model.predict(model.features_of(future, history=known, at=pl.col("received_at")))
    y = future["label"].cast(pl.Float64).to_numpy()
    revenue = future["revenue_eur"].fill_null(0.0).cast(pl.Float64).to_numpy()
    rankings: dict[str, Array] = {
        "model": value,
        "gbdt_baseline": baseline_scores(past, future, config),
        "rules": rule_scores(future),
        "value": future["value_eur"].fill_null(0.0).to_numpy(),
        "random": np.random.default_rng(seed).random(future.height),
    }
    received = labelled["received_at"]
    return {
        "split": {
            "by": "time",
            "cut": cut.isoformat(),
            "from": received.min().isoformat(),  # type: ignore[union-attr]
            "to": received.max().isoformat(),  # type: ignore[union-attr]
            "train_rows": past.height,
            "train_findings": int(past["label"].sum()),
            "test_rows": future.height,
            "test_findings": int(y.sum()),
            "test_revenue_eur": round(float(revenue.sum()), 2),
        },
        "models": {name: report(scores, y, revenue) for name, scores in rankings.items()},
        "model": {k: model.manifest[k] for k in ("version", "signature", "best_iteration", "rows", "findings")},
    }
