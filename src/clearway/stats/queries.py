"""Queries over the facts frame: the window of receipt dates, time series and breakdowns.

Pure functions of a facts frame (clearway.stats.facts) and their parameters; a million rows take
tens of milliseconds (docs/stats.md gives the benchmark). Every figure counts the consignments
*received* in the window, whatever happened to them later, so a figure for last month does not
change its meaning as parcels are released; what did happen (released, inspected...) is as known now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from clearway.stats.model import (
    Dimension,
    Metric,
    Period,
    StatsBreakdown,
    StatsBreakdownRow,
    StatsSeries,
    StatsSeriesLine,
)

# The facts column each grouping reads.
COLUMNS: Mapping[Dimension, str] = {
    "origin": "origin",
    "destination": "destination",
    "hs_chapter": "hs_chapter",
    "operator": "operator_id",
    "channel": "channel",
    "relationship": "relationship",
    "collection_model": "collection_model",
    "lane": "lane",
}
EVERY: Mapping[Period, str] = {"day": "1d", "week": "1w", "month": "1mo"}
# Labels that no real key can take (country codes, chapters, ids and codes have no parentheses).
OTHER = "(other)"
UNKNOWN = "(unknown)"
# Customs has decided on these: released, refused, or stopped (held or under inspection) — a
# consignment it stopped was not released automatically, so it counts against the automatic rate.
DECIDED_STATES = ("released", "seized", "returned", "held", "inspected")
# Most groups a series draws (a chart of more lines is unreadable) and a breakdown lists.
SERIES_TOP_MAX = 20
BREAKDOWN_TOP_MAX = 500


class WindowError(ValueError):
    """A window that cannot be: the query parameter it comes from, as a JSON pointer, and why;
    ``reversed`` when both dates are dates but the end comes first (pages word the two apart)."""

    def __init__(self, pointer: str, detail: str, *, reversed: bool = False) -> None:
        super().__init__(detail)
        self.pointer = pointer
        self.detail = detail
        self.reversed = reversed


@dataclass(frozen=True)
class Window:
    """Receipt dates from ``start`` to ``end``, both included, in UTC; None leaves that side open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise WindowError(
                "/to", f"the end of the window ({self.end}) is before its start ({self.start})", reversed=True
            )

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> Window:
        """A window from YYYY-MM-DD texts (a blank text leaves that side open)."""
        return cls(_date("/from", start), _date("/to", end))

    def condition(self) -> pl.Expr:
        received = pl.col("received_at")
        condition = pl.lit(True)
        if self.start is not None:
            condition &= received >= dt.datetime.combine(self.start, dt.time(), dt.UTC)
        if self.end is not None:
            condition &= received <= dt.datetime.combine(self.end, dt.time.max, dt.UTC)
        return condition


def _date(pointer: str, text: str | None) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise WindowError(pointer, f"expected a date as YYYY-MM-DD, got {text.strip()[:40]!r}") from None


def within(facts: pl.DataFrame, window: Window) -> pl.DataFrame:
    return facts.filter(window.condition())


def extent(facts: pl.DataFrame) -> tuple[dt.date, dt.date] | None:
    """The first and last receipt dates in the facts (None when there are none)."""
    if facts.is_empty():
        return None
    first, last = facts.select(
        pl.col("received_at").min().alias("first"), pl.col("received_at").max().alias("last")
    ).row(0)
    return first.date(), last.date()


# -- aggregations shared by series, breakdowns and KPIs ------------------------------------------

_RELEASED = pl.col("state") == "released"


def _revenue(column: str) -> pl.Expr:
    """Duty or tax in euro of the released consignments: what was due on goods that entered."""
    return pl.col(column).filter(_RELEASED).sum()


# Keyed by Metric (plain str keys, so that they spread into ``agg``).
METRIC_EXPRESSIONS: Mapping[str, pl.Expr] = {
    "consignments": pl.len().cast(pl.Int64),
    "value_eur": pl.col("value_eur").sum(),
    "duty_eur": _revenue("duty_eur"),
    "tax_eur": _revenue("tax_eur"),
    "revenue_eur": (pl.col("duty_eur").fill_null(0.0) + pl.col("tax_eur").fill_null(0.0)).filter(_RELEASED).sum(),
}

CONTROLS: Mapping[str, pl.Expr] = {
    "released": _RELEASED.sum(),
    "released_automatically": pl.col("automatic_release").sum(),
    "decided": pl.col("state").is_in(DECIDED_STATES).sum(),
    "inspections": pl.col("inspected").sum(),
    "outcomes_recorded": pl.col("outcome").is_not_null().sum(),
    "findings": pl.col("finding").sum(),
    "seized": (pl.col("state") == "seized").sum(),
    "returned": (pl.col("state") == "returned").sum(),
    "refusals": pl.col("refused").sum(),
}


def ratio(part: float, whole: float, digits: int = 6) -> float | None:
    """``part / whole`` rounded, or None when there is nothing to divide by."""
    return round(part / whole, digits) if whole else None


def _rounded(metric: Metric, value: float | None) -> float:
    if value is None:
        return 0.0
    return value if metric == "consignments" else round(float(value), 2)


def _key(by: Dimension | None) -> pl.Expr:
    if by is None:
        return pl.lit("all")
    return pl.col(COLUMNS[by]).fill_null(UNKNOWN)


def _top(frame: pl.DataFrame, order: pl.Expr, top: int) -> pl.Expr:
    """The key column with every key outside the ``top`` largest (by ``order``) relabelled OTHER."""
    ranked = frame.group_by("key").agg(order.alias("_order")).sort(["_order", "key"], descending=[True, False])
    keys = ranked["key"].head(top)
    if ranked.height <= top:
        return pl.col("key")
    return pl.when(pl.col("key").is_in(keys.implode())).then(pl.col("key")).otherwise(pl.lit(OTHER))


def _ordered(keys: Sequence[str], totals: Mapping[str, float]) -> list[str]:
    """Largest first, ties by key, OTHER last."""
    return sorted(keys, key=lambda k: (k == OTHER, -totals[k], k))


# -- series and breakdowns ----------------------------------------------------------------------


def series(
    facts: pl.DataFrame,
    *,
    window: Window,
    metric: Metric = "consignments",
    period: Period = "day",
    by: Dimension | None = None,
    top: int = 8,
) -> StatsSeries:
    """``metric`` per period for each of the ``top`` groups of ``by`` (the rest as OTHER).

    The periods run from the first to the last period holding a consignment of the window, with a
    zero where a period has none, so that every line has one value per period.
    """
    expression = METRIC_EXPRESSIONS[metric]
    frame = within(facts, window).with_columns(
        key=_key(by), period=pl.col("received_at").dt.truncate(EVERY[period]).dt.date()
    )
    result = StatsSeries(start=window.start, end=window.end, by=by, period=period, metric=metric, periods=[], series=[])
    if frame.is_empty():
        return result
    grouped = (
        frame.with_columns(key=_top(frame, expression, top)).group_by("period", "key").agg(expression.alias("value"))
    )
    first, last = frame.select(pl.col("period").min().alias("first"), pl.col("period").max().alias("last")).row(0)
    result.periods = pl.date_range(first, last, interval=EVERY[period], eager=True).to_list()
    cells: dict[str, dict[dt.date, float]] = {}
    for day, key, value in grouped.iter_rows():
        cells.setdefault(key, {})[day] = value
    totals = {key: sum(values.values()) for key, values in cells.items()}
    result.series = [
        StatsSeriesLine(
            key=key,
            total=_rounded(metric, totals[key]),
            values=[_rounded(metric, cells[key].get(day, 0)) for day in result.periods],
        )
        for key in _ordered(list(cells), totals)
    ]
    return result


def breakdown(facts: pl.DataFrame, *, window: Window, by: Dimension, top: int = 20) -> StatsBreakdown:
    """Per group of ``by``: volumes, values, revenue, inspections, findings and refusals.

    The ``top`` groups with the most consignments get a row each, largest first; the rest are summed
    in one OTHER row at the end. Shares are of all consignments in the window.
    """
    frame = within(facts, window).with_columns(key=_key(by))
    total = frame.height
    if frame.is_empty():
        return StatsBreakdown(start=window.start, end=window.end, by=by, consignments=0, rows=[])
    grouped = frame.with_columns(key=_top(frame, pl.len(), top)).group_by("key").agg(**METRIC_EXPRESSIONS, **CONTROLS)
    found = {row["key"]: row for row in grouped.iter_rows(named=True)}
    rows = [
        StatsBreakdownRow(
            key=key,
            consignments=int(row["consignments"]),
            share=ratio(row["consignments"], total) or 0.0,
            value_eur=_rounded("value_eur", row["value_eur"]),
            duty_eur=_rounded("duty_eur", row["duty_eur"]),
            tax_eur=_rounded("tax_eur", row["tax_eur"]),
            revenue_eur=_rounded("revenue_eur", row["revenue_eur"]),
            inspections=int(row["inspections"]),
            findings=int(row["findings"]),
            hit_rate=ratio(row["findings"], row["outcomes_recorded"]),
            refusals=int(row["refusals"]),
            automatic_release_rate=ratio(row["released_automatically"], row["decided"]),
        )
        for key in _ordered(list(found), {k: float(r["consignments"]) for k, r in found.items()})
        for row in (found[key],)
    ]
    return StatsBreakdown(start=window.start, end=window.end, by=by, consignments=total, rows=rows)
