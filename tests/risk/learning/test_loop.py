"""The weekly learning loop: labels only for what was inspected, two policies side by side."""

from __future__ import annotations

import polars as pl
import pytest

from clearway.risk.learning.loop import replay


@pytest.mark.slow
def test_weekly_replay_curves(history: pl.DataFrame) -> None:
    result = replay(history, rate=0.05, seed=2)
    assert set(result["policies"]) == {"exploit", "explore_10"}
    weeks = result["weeks"]
    assert len(weeks) == 13  # 84 days from a start in the morning: 12 whole weeks and a few hours
    for name, policy in result["policies"].items():
        curve = policy["curve"]
        assert [c["week"] for c in curve] == weeks
        # Each week inspects its 5 %: the labels revealed are exactly those inspections.
        assert all(c["inspected"] == -(-c["consignments"] * 5 // 100) for c in curve)
        assert policy["labels_revealed"] == sum(c["inspected"] for c in curve)
        assert curve[0]["ranked_by"] == "rules" and curve[-1]["ranked_by"] == "model"
        assert all(0 <= c["precision"] <= 1 and 0 <= c["revenue"] <= 1 for c in curve)
        # Learning from its own inspections, the model does better than the cold start.
        assert policy["mean_precision"] > 2 * (history["label"].mean() or 0), name
    assert result["policies"]["explore_10"]["exploration"] == 0.1


def test_rate_must_be_a_share(history: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="rate"):
        replay(history, rate=1.5)
