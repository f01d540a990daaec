"""The done-when of the learning issue: on a time split, the model beats the plain gradient-boosting
baseline on Revenue@5% and every baseline on Precision@5%, on the generator configuration it was
developed against, on one it was not, and on a harder one (simulate/fraud.py, "hard")."""

from __future__ import annotations

import polars as pl
import pytest

from clearway.app.learning.data import simulated_history
from clearway.risk.learning.evaluate import RANKINGS, evaluate, time_split
from clearway.risk.learning.model import TrainConfig


def test_the_split_is_by_time(history: pl.DataFrame) -> None:
    past, future, cut = time_split(history, 0.7)
    assert past["received_at"].max() < cut <= future["received_at"].min()  # type: ignore[operator]
    assert past.height + future.height == history.height
    with pytest.raises(ValueError, match="train_share"):
        time_split(history, 0.99)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["default", "alternate", "hard"])
def test_the_model_beats_the_baselines(history: pl.DataFrame, which: str) -> None:
    # "hard": weak, noisy signals, fraudsters re-registering under new names, missed findings.
    data = history if which == "default" else simulated_history(30_000, seed=8, days=84, fraud=which)
    report = evaluate(data, TrainConfig(rounds=200), seed=1)
    models = report["models"]
    assert set(models) == set(RANKINGS)
    for name in RANKINGS:
        assert set(models[name]) == {"auc", "precision", "recall", "revenue"}
        assert all(set(models[name][m]) == {"1", "2", "5", "10"} for m in ("precision", "recall", "revenue"))
    model = models["model"]
    assert model["revenue"]["5"] > models["gbdt_baseline"]["revenue"]["5"], models
    for name in ("gbdt_baseline", "rules", "value", "random"):
        assert model["precision"]["5"] > models[name]["precision"]["5"], (name, models)
    assert model["auc"] > models["gbdt_baseline"]["auc"]
    # Random ranking finds about the base rate: the harness itself is not flattering anyone.
    base = report["split"]["test_findings"] / report["split"]["test_rows"]
    assert models["random"]["precision"]["10"] == pytest.approx(base, abs=0.03)
