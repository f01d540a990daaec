"""The features the targeting model learns from, defined once for training and for scoring.

A feature is computed from the assessed risk frame (one row per consignment, after data quality,
screening and rules: see ``clearway.risk.frame``), from reference tables fitted on the training
window (``References``: typical unit values per HS-6 and per HS-6 x origin, and the vocabularies of
the categorical fields) and from the labelled history (``clearway.risk.learning.history``: past
inspection findings of the same seller, platform, buyer, declarant, HS-6 and origin x chapter, as
known at the time of the consignment). The same function builds them for training and scoring, so
that a feature cannot mean one thing in one and another in the other; the model's manifest records
``signature(FEATURES)`` and a model trained on other definitions is refused.

Values are floats (the model compares them with split points); nothing here is charged.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from clearway.risk.learning.history import ENTITIES, History, encode_history

Kind = Literal["numeric", "categorical"]
# Bump when the computation of a feature changes while its name stays: the signature changes with it.
DEFINITIONS_VERSION = "2"
_MIN_REFERENCE = 5  # item lines an HS-6 (or HS-6 x origin) needs before its typical value is used


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    # What an officer reads next to a contribution ("seller's past finding rate").
    description: str
    kind: Kind = "numeric"


CATEGORICAL = ("nature", "relationship", "channel", "transport_mode", "destination", "origin", "hs_chapter")

_RAW: tuple[Feature, ...] = (
    Feature("value_eur", "declared goods value (EUR)"),
    Feature("freight_eur", "declared freight (EUR)"),
    Feature("gross_weight_kg", "gross weight (kg)"),
    Feature("items", "number of item lines"),
    Feature("quantity", "number of pieces"),
    Feature("unit_value_max_eur", "highest unit value (EUR)"),
    Feature("nature", "nature of the transaction", "categorical"),
    Feature("relationship", "B2C, C2C or B2B", "categorical"),
    Feature("channel", "post or courier", "categorical"),
    Feature("transport_mode", "mode of transport", "categorical"),
    Feature("destination", "country of destination", "categorical"),
    Feature("origin", "country of dispatch", "categorical"),
    Feature("hs_chapter", "HS chapter of the main item", "categorical"),
)

_ENGINEERED: tuple[Feature, ...] = (
    Feature("log_value_eur", "declared value (log)"),
    Feature("value_per_kg_log", "value per kilogram (log)"),
    Feature("freight_share", "freight as a share of the goods value"),
    Feature("price_vs_hs6", "main item's unit value against the usual for its HS-6 (log ratio)"),
    Feature("price_z_hs6", "main item's unit value in standard deviations from its HS-6"),
    Feature("price_vs_hs6_min", "lowest item unit value against its HS-6 (log ratio)"),
    Feature("price_vs_hs6_origin", "main item's unit value against its HS-6 from this origin (log ratio)"),
    Feature("value_per_kg_vs_hs6", "value per kilogram against the usual for the HS-6 (log ratio)"),
    Feature("quality_score", "data quality score"),
    Feature("quality_findings", "number of data quality findings"),
    Feature("rule_score", "targeting rule score"),
    Feature("rule_hits", "number of targeting rules hit"),
    Feature("screening_score", "best watchlist or sanctions name match"),
    Feature("weekday", "day of the week"),
    Feature("hour", "hour of receipt (UTC)"),
    Feature("day_of_year_sin", "season (sine of the day of the year)"),
    Feature("day_of_year_cos", "season (cosine of the day of the year)"),
    *(
        feature
        for entity, label in ENTITIES.items()
        if entity != "all"
        for feature in (
            Feature(f"{entity}_finding_rate", f"{label}: past finding rate (smoothed)"),
            Feature(f"{entity}_inspected", f"{label}: past inspections (log)"),
            Feature(f"{entity}_revenue", f"{label}: revenue found per inspection (smoothed, EUR)"),
        )
    ),
)

# The model's features: raw fields, their ratios to the references, the assessment, the history.
# Not the buyer's parcels of the day: a frame of inspected consignments (training from the store)
# would count only the inspected ones, so the feature would mean something else in scoring; the
# splitting rule carries that signal into ``rule_score``.
FEATURES: tuple[Feature, ...] = (*_RAW, *_ENGINEERED)
# The plain baseline of the evaluation: the raw fields only, no references, no history, no rules.
BASELINE_FEATURES: tuple[Feature, ...] = _RAW
DESCRIPTIONS: dict[str, str] = {f.name: f.description for f in FEATURES}
_HISTORY_NAMES = {f"{e}_{s}" for e in ENTITIES for s in ("finding_rate", "inspected", "revenue")}


# The assessed frame's columns the features read (the rest of the frame is not needed), so that a
# caller holding plain rows (the single-record path) builds just these.
MODEL_INPUTS: dict[str, pl.DataType] = {
    "operator_id": pl.Utf8(),
    "reference": pl.Utf8(),
    "destination": pl.Utf8(),
    "origin": pl.Utf8(),
    "hs_codes": pl.List(pl.Utf8()),
    "unit_values_eur": pl.List(pl.Float64()),
    "quantities": pl.List(pl.Float64()),
    "items": pl.UInt16(),
    "value_eur": pl.Float64(),
    "freight_eur": pl.Float64(),
    "gross_weight_kg": pl.Float64(),
    "nature": pl.Utf8(),
    "relationship": pl.Utf8(),
    "transport_mode": pl.Utf8(),
    "channel": pl.Utf8(),
    "seller_name": pl.Utf8(),
    "seller_country": pl.Utf8(),
    "platform_name": pl.Utf8(),
    "buyer_key": pl.Utf8(),
    "received_at": pl.Datetime("us", "UTC"),
    "quality_score": pl.Int64(),
    "quality_codes": pl.List(pl.Utf8()),
    "rule_score": pl.Int64(),
    "rule_hits": pl.List(pl.Utf8()),
    "rule_lane": pl.Utf8(),
    "screening_score": pl.Float64(),
}


def model_inputs(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """The model's input columns from plain rows (dicts of the assessed frame's columns)."""
    return pl.DataFrame([{k: row.get(k) for k in MODEL_INPUTS} for row in rows], schema=MODEL_INPUTS)


def signature(features: Sequence[Feature]) -> str:
    """A digest of the feature definitions: names, kinds, order and the definitions' version."""
    text = DEFINITIONS_VERSION + "\n" + "\n".join(f"{f.name}:{f.kind}" for f in features)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class References:
    """What the features compare a consignment with, fitted on the training window only."""

    # HS-6 -> (mean, standard deviation) of log unit value in euro over item lines.
    hs6: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # "HS-6|origin" -> mean log unit value.
    hs6_origin: Mapping[str, float] = field(default_factory=dict)
    # HS-6 of the main item -> mean log value per kilogram of the consignment.
    hs6_kg: Mapping[str, float] = field(default_factory=dict)
    # Categorical field -> its values seen in training (the code of a value is its position).
    categories: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "hs6": {k: list(v) for k, v in sorted(self.hs6.items())},
            "hs6_origin": dict(sorted(self.hs6_origin.items())),
            "hs6_kg": dict(sorted(self.hs6_kg.items())),
            "categories": {k: list(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> References:
        return cls(
            hs6={str(k): (float(v[0]), float(v[1])) for k, v in raw["hs6"].items()},
            hs6_origin={str(k): float(v) for k, v in raw["hs6_origin"].items()},
            hs6_kg={str(k): float(v) for k, v in raw["hs6_kg"].items()},
            categories={str(k): [str(x) for x in v] for k, v in raw["categories"].items()},
        )


def with_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the main item (highest line value), its HS-6 and chapter, and entity keys."""
    line_values = pl.col("unit_values_eur").list.eval(pl.element().fill_null(0.0)) * pl.col("quantities")
    main = line_values.list.arg_max().fill_null(0)
    hs6 = pl.col("hs_codes").list.get(main, null_on_oob=True).str.slice(0, 6)
    keyed = frame.with_columns(
        hs6.alias("main_hs6"),
        pl.col("unit_values_eur").list.get(main, null_on_oob=True).alias("main_unit_eur"),
    ).with_columns(pl.col("main_hs6").str.slice(0, 2).alias("hs_chapter"))
    return keyed.with_columns(
        (pl.col("seller_name").str.to_lowercase() + "|" + pl.col("seller_country")).alias("key_seller"),
        pl.col("platform_name").fill_null("(own shop)").alias("key_platform"),
        pl.col("buyer_key").fill_null("").alias("key_buyer"),
        pl.col("operator_id").alias("key_declarant"),
        pl.col("main_hs6").fill_null("").alias("key_hs6"),
        (pl.col("origin") + "|" + pl.col("hs_chapter").fill_null("")).alias("key_origin_chapter"),
        pl.lit("all").alias("key_all"),
    )


def fit_references(frame: pl.DataFrame) -> References:
    """Typical values and vocabularies from a window of (keyed) consignments, labelled or not.

    Declared values are not labels, so every consignment of the window counts, inspected or not.
    """
    keyed = frame if "main_hs6" in frame.columns else with_keys(frame)
    lines = (
        keyed.lazy()
        .select("hs_codes", "unit_values_eur", "origin")
        .explode("hs_codes", "unit_values_eur")
        .filter(pl.col("unit_values_eur") > 0)
        .select(
            pl.col("hs_codes").str.slice(0, 6).alias("hs6"),
            "origin",
            pl.col("unit_values_eur").log().alias("lv"),
        )
        .collect()
    )
    per_hs6 = (
        lines.group_by("hs6")
        .agg(pl.len().alias("n"), pl.col("lv").mean().alias("mean"), pl.col("lv").std().alias("std"))
        .filter(pl.col("n") >= _MIN_REFERENCE)
    )
    per_origin = (
        lines.group_by("hs6", "origin")
        .agg(pl.len().alias("n"), pl.col("lv").mean().alias("mean"))
        .filter(pl.col("n") >= _MIN_REFERENCE)
    )
    per_kg = (
        keyed.filter((pl.col("gross_weight_kg") > 0) & (pl.col("value_eur") > 0))
        .group_by("main_hs6")
        .agg(pl.len().alias("n"), (pl.col("value_eur") / pl.col("gross_weight_kg")).log().mean().alias("mean"))
        .filter((pl.col("n") >= _MIN_REFERENCE) & pl.col("main_hs6").is_not_null())
    )
    categories = {
        name: sorted(v for v in keyed[name].unique().to_list() if v is not None)
        for name in CATEGORICAL
        if name in keyed.columns
    }
    return References(
        hs6={r["hs6"]: (r["mean"], max(r["std"] or 0.0, 0.05)) for r in per_hs6.iter_rows(named=True)},
        hs6_origin={f"{r['hs6']}|{r['origin']}": r["mean"] for r in per_origin.iter_rows(named=True)},
        hs6_kg={r["main_hs6"]: r["mean"] for r in per_kg.iter_rows(named=True)},
        categories=categories,
    )


def _lookup(expr: pl.Expr, table: Mapping[str, float]) -> pl.Expr:
    if not table:
        return pl.lit(None, dtype=pl.Float64)
    keys = list(table)
    return expr.replace_strict(keys, [table[k] for k in keys], default=None, return_dtype=pl.Float64)


def _codes(name: str, vocabulary: Sequence[str]) -> pl.Expr:
    # LightGBM reads a negative category as missing: a value never seen in training is -1.
    return (
        pl.col(name)
        .replace_strict(list(vocabulary), list(range(len(vocabulary))), default=-1, return_dtype=pl.Int32)
        .fill_null(-1)
        .cast(pl.Float64)
        .alias(name)
    )


def feature_frame(
    frame: pl.DataFrame,
    references: References,
    history: History,
    *,
    at: pl.Expr | None = None,
    smoothing: float = 20.0,
    features: Sequence[Feature] = FEATURES,
) -> pl.DataFrame:
    """One Float64 column per feature, in ``features`` order, one row per row of ``frame``.

    ``history`` holds the labelled past; each row sees only labels known strictly before ``at``
    (by default the row's ``received_at``), so a training row never sees its own label or a later one.
    """
    keyed = frame if "main_hs6" in frame.columns else with_keys(frame)
    names = {f.name for f in features}
    if names & _HISTORY_NAMES:
        keyed = encode_history(keyed, history, at=at, smoothing=smoothing)
    col = pl.col
    hs6_mean = _lookup(col("main_hs6"), {k: v[0] for k, v in references.hs6.items()})
    hs6_std = _lookup(col("main_hs6"), {k: v[1] for k, v in references.hs6.items()})
    origin_mean = _lookup(col("main_hs6") + "|" + col("origin"), references.hs6_origin)
    item_means = (
        col("hs_codes").list.eval(_lookup(pl.element().str.slice(0, 6), {k: v[0] for k, v in references.hs6.items()}))
        if references.hs6
        else pl.lit(None, dtype=pl.List(pl.Float64))
    )
    item_logs = col("unit_values_eur").list.eval(pl.when(pl.element() > 0).then(pl.element().log()))
    main_log = pl.when(col("main_unit_eur") > 0).then(col("main_unit_eur").log())
    per_kg = pl.when((col("gross_weight_kg") > 0) & (col("value_eur") > 0)).then(
        (col("value_eur") / col("gross_weight_kg")).log()
    )
    day_angle = col("received_at").dt.ordinal_day().cast(pl.Float64) * (2 * math.pi / 365.25)
    exprs: dict[str, pl.Expr] = {
        "value_eur": col("value_eur"),
        "freight_eur": col("freight_eur"),
        "gross_weight_kg": col("gross_weight_kg"),
        "items": col("items").cast(pl.Float64),
        "quantity": col("quantities").list.sum(),
        "unit_value_max_eur": col("unit_values_eur").list.max(),
        "log_value_eur": col("value_eur").fill_null(0.0).clip(0.0).log1p(),
        "value_per_kg_log": per_kg,
        "freight_share": col("freight_eur") / (col("value_eur").fill_null(0.0) + 1.0),
        "price_vs_hs6": main_log - hs6_mean,
        "price_z_hs6": (main_log - hs6_mean) / hs6_std,
        "price_vs_hs6_min": (item_logs - item_means).list.min(),
        "price_vs_hs6_origin": main_log - origin_mean,
        "value_per_kg_vs_hs6": per_kg - _lookup(col("main_hs6"), references.hs6_kg),
        "quality_score": col("quality_score"),
        "quality_findings": col("quality_codes").list.len(),
        "rule_score": col("rule_score"),
        "rule_hits": col("rule_hits").list.len(),
        "screening_score": col("screening_score"),
        "weekday": col("received_at").dt.weekday(),
        "hour": col("received_at").dt.hour(),
        "day_of_year_sin": day_angle.sin(),
        "day_of_year_cos": day_angle.cos(),
    }
    for entity in ENTITIES:
        if entity != "all":
            for suffix in ("finding_rate", "inspected", "revenue"):
                exprs[f"{entity}_{suffix}"] = col(f"_h_{entity}_{suffix}")
    selected: list[pl.Expr] = []
    for feature in features:
        if feature.kind == "categorical":
            selected.append(_codes(feature.name, references.categories.get(feature.name, ())))
        else:
            selected.append(exprs[feature.name].cast(pl.Float64).alias(feature.name))
    out = keyed.select(selected)
    if set(out.columns) != names:
        raise ValueError("feature columns do not match the definitions")
    return out


def matrix(features: pl.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The feature frame as the C-ordered float matrix LightGBM reads (null -> NaN, i.e. missing)."""
    return features.to_numpy(order="c").astype(np.float64, copy=False)
