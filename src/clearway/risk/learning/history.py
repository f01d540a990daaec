"""What past inspections found, per seller, platform, buyer, declarant, HS-6 and origin x chapter.

Only inspected consignments have labels, and a label is known only once the officer has recorded
it. ``History`` keeps, per entity and key, the cumulative count of labelled consignments, of
findings and of revenue found, each stamped with the time the label became known. A consignment's
history features are read *as of* its own time (an as-of join, strictly before), so training rows
never see their own label or a later one, and a scored consignment sees exactly what was known.

The rates are smoothed towards the overall finding rate known at that time (``smoothing``
pseudo-inspections), so that a seller with one inspection and one finding is not taken for a
certain fraudster: (found + m x prior) / (inspected + m).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

# Entity -> how an officer reads it. Each has a ``key_<entity>`` column (features.with_keys);
# "all" is the one key of every consignment: its rate is the prior the others are smoothed towards.
ENTITIES: dict[str, str] = {
    "seller": "seller",
    "platform": "platform",
    "buyer": "buyer",
    "declarant": "declarant",
    "hs6": "HS-6 subheading",
    "origin_chapter": "origin and HS chapter",
    "all": "all consignments",
}
_AT = pl.Datetime("us", "UTC")
SCHEMA: dict[str, pl.DataType] = {
    "entity": pl.Utf8(),
    "key": pl.Utf8(),
    "at": _AT,
    "n": pl.Float64(),
    "found": pl.Float64(),
    "revenue": pl.Float64(),
}
# The overall finding rate assumed before any label is known (EU 2024: a few percent of controls).
DEFAULT_PRIOR = 0.05


@dataclass(frozen=True)
class History:
    """Cumulative labelled counts per (entity, key), one row per time a count changed."""

    table: pl.DataFrame

    @classmethod
    def empty(cls) -> History:
        return cls(pl.DataFrame(schema=SCHEMA))

    @classmethod
    def from_labels(cls, keyed: pl.DataFrame) -> History:
        """From labelled rows with ``key_*`` columns, ``label`` (0/1), ``revenue_eur`` and ``labelled_at``."""
        if keyed.is_empty():
            return cls.empty()
        parts = []
        for entity in ENTITIES:
            part = (
                keyed.lazy()
                .select(
                    pl.col(f"key_{entity}").alias("key"),
                    pl.col("labelled_at").cast(_AT).alias("at"),
                    pl.col("label").cast(pl.Float64).alias("found"),
                    pl.col("revenue_eur").fill_null(0.0).cast(pl.Float64).alias("revenue"),
                )
                .filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
                .group_by("key", "at")
                .agg(pl.len().cast(pl.Float64).alias("n"), pl.col("found").sum(), pl.col("revenue").sum())
                .sort("key", "at")
                .select(
                    pl.lit(entity).alias("entity"),
                    "key",
                    "at",
                    pl.col("n").cum_sum().over("key"),
                    pl.col("found").cum_sum().over("key"),
                    pl.col("revenue").cum_sum().over("key"),
                )
            )
            parts.append(part)
        return cls(pl.concat(pl.collect_all(parts)).select(list(SCHEMA)))

    def snapshot(self) -> History:
        """The last counts of each key: the same answers for any time after the last label."""
        last = self.table.sort("entity", "key", "at").group_by("entity", "key", maintain_order=True).last()
        return History(last.select(list(SCHEMA)))

    def end(self) -> dt.datetime | None:
        """When the latest label in the history became known."""
        latest = self.table["at"].max() if self.table.height else None
        return latest if isinstance(latest, dt.datetime) else None

    def labelled(self) -> int:
        """How many labels the history holds."""
        total = self.table.filter(pl.col("entity") == "all")
        return int(total["n"].cast(pl.Float64).max() or 0.0) if total.height else 0  # type: ignore[arg-type]

    def save(self, path: Path) -> None:
        self.table.write_parquet(path)

    @classmethod
    def load(cls, path: Path) -> History:
        table = pl.read_parquet(path)
        if dict(table.schema) != SCHEMA:
            raise ValueError(f"{path}: not a history table (columns {list(table.schema)})")
        return cls(table)


def encode_history(
    keyed: pl.DataFrame,
    history: History,
    *,
    at: pl.Expr | None = None,
    smoothing: float = 20.0,
    prior: float = DEFAULT_PRIOR,
) -> pl.DataFrame:
    """``keyed`` with ``_h_<entity>_finding_rate``, ``_inspected`` (log1p) and ``_revenue`` columns."""
    query = (at if at is not None else pl.col("received_at")).cast(_AT)
    left = keyed.with_row_index("_i").with_columns(query.alias("_q")).sort("_q")
    table = history.table
    m = float(smoothing)
    for entity in ENTITIES:
        right = (
            table.filter(pl.col("entity") == entity)
            .select(
                pl.col("key").alias(f"key_{entity}"),
                pl.col("at").alias("_at"),
                pl.col("n").alias(f"_n_{entity}"),
                pl.col("found").alias(f"_f_{entity}"),
                pl.col("revenue").alias(f"_r_{entity}"),
            )
            .sort("_at")
        )
        left = left.join_asof(
            right,
            left_on="_q",
            right_on="_at",
            by=f"key_{entity}",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        ).drop("_at")
    n_all = pl.col("_n_all").fill_null(0.0)
    prior_rate = pl.when(n_all > 0).then(pl.col("_f_all") / n_all).otherwise(prior)
    prior_revenue = pl.when(n_all > 0).then(pl.col("_r_all") / n_all).otherwise(0.0)
    added = []
    for entity in ENTITIES:
        if entity == "all":
            continue
        n = pl.col(f"_n_{entity}").fill_null(0.0)
        found = pl.col(f"_f_{entity}").fill_null(0.0)
        revenue = pl.col(f"_r_{entity}").fill_null(0.0)
        added += [
            ((found + m * prior_rate) / (n + m)).alias(f"_h_{entity}_finding_rate"),
            n.log1p().alias(f"_h_{entity}_inspected"),
            ((revenue + m * prior_revenue) / (n + m)).alias(f"_h_{entity}_revenue"),
        ]
    helper = [c for c in left.columns if c.startswith(("_n_", "_f_", "_r_"))]
    return left.with_columns(added).sort("_i").drop("_i", "_q", *helper)
