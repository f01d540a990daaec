"""What the statistics answer: key figures, time series and breakdowns (docs/stats.md defines each).

Plain msgspec records: the API sends them as JSON (they are its documented schemas), the CLI prints
them with ``--json``, and the dashboard renders them, so all three show the same numbers. Rates are
fractions (0.25 = 25 %), rounded to 6 decimals; euro amounts to cents; minutes to 0.1.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

Dimension = Literal[
    "origin", "destination", "hs_chapter", "operator", "channel", "relationship", "collection_model", "lane"
]
Period = Literal["day", "week", "month"]
Metric = Literal["consignments", "value_eur", "duty_eur", "tax_eur", "revenue_eur"]

DIMENSIONS: tuple[Dimension, ...] = (
    "origin",
    "destination",
    "hs_chapter",
    "operator",
    "channel",
    "relationship",
    "collection_model",
    "lane",
)
PERIODS: tuple[Period, ...] = ("day", "week", "month")
METRICS: tuple[Metric, ...] = ("consignments", "value_eur", "duty_eur", "tax_eur", "revenue_eur")


class StatsKpis(msgspec.Struct, kw_only=True):
    """Key figures of the consignments received in a window (both ends included; null = open)."""

    start: dt.date | None = msgspec.field(name="from")
    end: dt.date | None = msgspec.field(name="to")
    consignments: int
    value_eur: float
    duty_eur: float
    tax_eur: float
    revenue_eur: float
    released: int
    released_automatically: int
    decided: int
    automatic_release_rate: float | None
    inspections: int
    examinations_per_million: float | None
    outcomes_recorded: int
    findings: int
    hit_rate: float | None
    seized: int
    returned: int
    refusals: int
    refusals_per_million: float | None
    release_minutes_p50: float | None
    release_minutes_p95: float | None
    timeliness_checked: int
    late_filings: int
    late_filing_share: float | None
    lead_minutes_median: float | None


class StatsSeriesLine(msgspec.Struct, kw_only=True):
    """One group's values, one per period of ``StatsSeries.periods``."""

    key: str
    total: float
    values: list[float]


class StatsSeries(msgspec.Struct, kw_only=True):
    """A metric per period (day, ISO week from Monday, or month, in UTC) for each of the top groups."""

    start: dt.date | None = msgspec.field(name="from")
    end: dt.date | None = msgspec.field(name="to")
    by: Dimension | None
    period: Period
    metric: Metric
    periods: list[dt.date]
    series: list[StatsSeriesLine]


class StatsBreakdownRow(msgspec.Struct, kw_only=True):
    key: str
    consignments: int
    share: float
    value_eur: float
    duty_eur: float
    tax_eur: float
    revenue_eur: float
    inspections: int
    findings: int
    hit_rate: float | None
    refusals: int
    automatic_release_rate: float | None


class StatsBreakdown(msgspec.Struct, kw_only=True):
    """Volumes, values, revenue and controls per group, largest first; the rest summed as ``(other)``."""

    start: dt.date | None = msgspec.field(name="from")
    end: dt.date | None = msgspec.field(name="to")
    by: Dimension
    consignments: int
    rows: list[StatsBreakdownRow]


STATS_RESULTS: tuple[type[msgspec.Struct], ...] = (
    StatsKpis,
    StatsSeries,
    StatsSeriesLine,
    StatsBreakdown,
    StatsBreakdownRow,
)
