"""Labelled history: counts known strictly before each row's time, smoothed towards the prior."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import pytest

from clearway.risk.learning.history import ENTITIES, History, encode_history

T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def keyed(rows: list[tuple[str, int, int, float]]) -> pl.DataFrame:
    """(seller, hour, label, revenue) -> a frame with every key column (other entities constant)."""
    return pl.DataFrame(
        {
            **{f"key_{e}": ["x"] * len(rows) for e in ENTITIES if e not in ("seller", "all")},
            "key_seller": [r[0] for r in rows],
            "key_all": ["all"] * len(rows),
            "received_at": [T0 + dt.timedelta(hours=r[1]) for r in rows],
            "labelled_at": [T0 + dt.timedelta(hours=r[1]) for r in rows],
            "label": [r[2] for r in rows],
            "revenue_eur": [r[3] for r in rows],
        }
    )


def test_rates_use_only_labels_known_strictly_before() -> None:
    past = keyed([("a", 0, 1, 10.0), ("a", 1, 0, 0.0), ("b", 1, 0, 0.0), ("a", 5, 1, 4.0)])
    history = History.from_labels(past)
    # Queries at hour 1 (sees only hour 0), hour 3 (hours 0-1) and hour 9 (all).
    query = keyed([("a", 1, 0, 0.0), ("a", 3, 0, 0.0), ("a", 9, 0, 0.0), ("c", 9, 0, 0.0)])
    out = encode_history(query, history, smoothing=2.0)
    rate, inspected = out["_h_seller_finding_rate"].to_list(), out["_h_seller_inspected"].to_list()
    # hour 1: seller a 1 of 1, prior (all) 1 of 1 -> (1 + 2*1) / (1 + 2)
    assert rate[0] == pytest.approx(1.0) and inspected[0] == pytest.approx(math.log1p(1))
    # hour 3: seller a 1 of 2; prior 1 of 3 -> (1 + 2/3) / 4
    assert rate[1] == pytest.approx((1 + 2 / 3) / 4)
    # hour 9: seller a 2 of 3; prior 2 of 4 -> (2 + 1) / 5
    assert rate[2] == pytest.approx(3 / 5)
    # an unknown seller gets the prior; revenue is smoothed the same way
    assert rate[3] == pytest.approx(0.5) and out["_h_seller_inspected"][3] == 0.0
    assert out["_h_seller_revenue"][2] == pytest.approx((14.0 + 2 * 14.0 / 4) / 5)


def test_no_history_means_the_default_prior() -> None:
    out = encode_history(keyed([("a", 0, 0, 0.0)]), History.empty(), smoothing=20.0, prior=0.05)
    assert out["_h_seller_finding_rate"].to_list() == [pytest.approx(0.05)]


def test_row_order_is_kept() -> None:
    history = History.from_labels(keyed([("a", 0, 1, 0.0)]))
    query = keyed([("b", 5, 0, 0.0), ("a", 3, 0, 0.0), ("a", 0, 0, 0.0)])
    out = encode_history(query, history, smoothing=1.0)
    assert out["key_seller"].to_list() == ["b", "a", "a"]
    assert out["_h_seller_inspected"].to_list() == [0.0, pytest.approx(math.log1p(1)), 0.0]


def test_snapshot_answers_like_the_full_history_after_the_last_label(tmp_path: Path) -> None:
    labels = keyed([("a", 0, 1, 1.0), ("a", 2, 0, 0.0), ("b", 3, 1, 2.0)])
    full = History.from_labels(labels)
    query = keyed([("a", 10, 0, 0.0), ("b", 10, 0, 0.0)])
    snap = full.snapshot()
    assert encode_history(query, snap).equals(encode_history(query, full))
    snap.save(tmp_path / "h.parquet")
    assert History.load(tmp_path / "h.parquet").table.equals(snap.table)
    assert full.labelled() == 3
