"""Features: defined once, no label leaks into its own row, references from the window only."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from clearway.risk.learning.features import (
    BASELINE_FEATURES,
    FEATURES,
    Feature,
    References,
    feature_frame,
    fit_references,
    model_inputs,
    signature,
    with_keys,
)
from clearway.risk.learning.history import History
from clearway.risk.learning.model import with_label_times


def test_every_feature_is_named_once_and_described() -> None:
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    assert all(f.description for f in FEATURES)
    assert {f.name for f in BASELINE_FEATURES} < set(names)


def test_the_signature_changes_with_a_definition() -> None:
    changed = (*FEATURES[:-1], Feature(FEATURES[-1].name, "x", "categorical"))
    assert signature(changed) != signature(FEATURES)
    assert signature(FEATURES) == signature(tuple(FEATURES))


def test_features_are_one_float_column_each_in_order(history: pl.DataFrame) -> None:
    sample = history.head(500)
    out = feature_frame(sample, fit_references(sample), History.empty())
    assert out.columns == [f.name for f in FEATURES]
    assert all(dtype == pl.Float64 for dtype in out.dtypes)
    assert out.height == 500


def test_price_ratio_against_the_hs6_reference_by_hand(history: pl.DataFrame) -> None:
    row = with_keys(history.head(1))
    hs6, unit = row["main_hs6"][0], row["main_unit_eur"][0]
    references = References(hs6={hs6: (math.log(unit / 4), 0.5)}, categories={})
    out = feature_frame(row, references, History.empty())
    assert out["price_vs_hs6"][0] == pytest.approx(math.log(4))
    assert out["price_z_hs6"][0] == pytest.approx(math.log(4) / 0.5)
    # A value never seen in training is -1 (LightGBM: missing), not a made-up category.
    assert out["origin"][0] == -1.0


def test_a_label_changes_no_feature_of_its_own_row_nor_of_earlier_rows(history: pl.DataFrame) -> None:
    rows = with_label_times(history.head(3000), 2.0)
    flipped = rows.with_columns(
        pl.when(pl.col("row") == rows["row"][1500]).then(1 - pl.col("label")).otherwise(pl.col("label")).alias("label")
    )
    references = fit_references(rows)
    a = feature_frame(rows, references, History.from_labels(with_keys(rows)))
    b = feature_frame(flipped, references, History.from_labels(with_keys(flipped)))
    cutoff = rows["labelled_at"][1500]
    before = (rows["received_at"] <= cutoff).to_numpy()
    np.testing.assert_array_equal(a.filter(before).to_numpy(), b.filter(before).to_numpy())
    assert not a.equals(b)  # later rows of the same seller, buyer... do see it


def test_an_outcome_recorded_after_a_consignment_arrived_changes_none_of_its_features(
    history: pl.DataFrame,
) -> None:
    """The label leak by recording time: a seller's earlier parcel, inspected and recorded only after
    the seller's next parcel arrived, must not show in that next parcel's history."""
    rows = with_label_times(history.head(3000), 2.0)
    keyed = with_keys(rows)
    repeat = (
        keyed.group_by("key_seller")
        .agg(pl.col("row").sort_by("received_at").head(2), pl.len())
        .filter(pl.col("len") >= 2)
    )
    first, later = repeat["row"][0].to_list()
    arrived = keyed.filter(pl.col("row") == later)["received_at"][0]
    references = fit_references(rows)

    def next_parcel(label: int, recorded: dt.datetime) -> pl.DataFrame:
        is_first = pl.col("row") == first
        changed = rows.with_columns(
            pl.when(is_first).then(label).otherwise(pl.col("label")).cast(pl.Int8).alias("label"),
            pl.when(is_first).then(pl.lit(recorded)).otherwise(pl.col("labelled_at")).alias("labelled_at"),
        )
        out = feature_frame(changed, references, History.from_labels(with_keys(changed)))
        return out.filter((rows["row"] == later).to_numpy())

    after = arrived + dt.timedelta(hours=1)
    assert next_parcel(1, after).equals(next_parcel(0, after))
    before = arrived - dt.timedelta(hours=1)
    # Recorded before the arrival, the same outcome is known to the next parcel: the test can fail.
    assert not next_parcel(1, before).equals(next_parcel(0, before))


def test_the_single_record_inputs_give_the_same_features(history: pl.DataFrame) -> None:
    sample = history.head(200)
    references = fit_references(sample)
    labels = History.from_labels(with_keys(with_label_times(sample, 2.0)))
    whole = feature_frame(sample, references, labels)
    rows = feature_frame(model_inputs(sample.to_dicts()), references, labels)
    np.testing.assert_allclose(whole.to_numpy(), rows.to_numpy(), equal_nan=True)


def test_history_is_read_as_of_each_row(history: pl.DataFrame) -> None:
    rows = with_label_times(history.head(2000), 2.0)
    labels = History.from_labels(with_keys(rows))
    early = feature_frame(rows.head(1), fit_references(rows), labels)
    late = feature_frame(
        rows.head(1).with_columns(pl.lit(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).alias("received_at")),
        fit_references(rows),
        labels,
    )
    assert early["declarant_inspected"][0] == 0.0 < late["declarant_inspected"][0]
