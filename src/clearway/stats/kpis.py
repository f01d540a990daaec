"""Key performance indicators of clearance, after the WCO E-Commerce Framework of Standards'
Principle V (measurement and analysis: the flow, release times and the results of controls).

All over the consignments received in a window (clearway.stats.queries.Window):

- automatic release rate: released with no hold and no inspection, over those customs decided on
  (released, seized, returned, or stopped: held or under inspection); those still awaiting their
  documents are not decided yet, cancelled ones never will be;
- examinations and refusals (seized + returned) per million consignments received;
- hit rate: consignments with a finding (an outcome other than compliant) over those with a
  recorded outcome, the same definition as the rule catalogue's;
- time to release: minutes from the first receipt of the declaration to its release, 50th and
  95th percentiles (linear interpolation between the closest ranks, as numpy's default);
- data timeliness: the share of risk-assessed declarations the quality check found filed late,
  and the median lead time from receipt to the end of the departure (else arrival) day.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from clearway.stats.model import StatsKpis
from clearway.stats.queries import CONTROLS, METRIC_EXPRESSIONS, Window, ratio, within

PER_MILLION = 1_000_000


def release_minutes() -> pl.Expr:
    """Minutes from receipt to release (null when not released)."""
    return (pl.col("released_at") - pl.col("received_at")).dt.total_microseconds() / 60_000_000


def _minutes(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _per_million(part: int, whole: int) -> float | None:
    return round(part * PER_MILLION / whole, 1) if whole else None


def kpis(facts: pl.DataFrame, window: Window) -> StatsKpis:
    """The key figures of the consignments received in ``window``."""
    minutes = release_minutes()
    figures = (
        within(facts, window)
        .select(
            **METRIC_EXPRESSIONS,
            **CONTROLS,
            release_minutes_p50=minutes.quantile(0.5, "linear"),
            release_minutes_p95=minutes.quantile(0.95, "linear"),
            timeliness_checked=pl.col("late_filing").is_not_null().sum(),
            late_filings=pl.col("late_filing").sum(),
            lead_minutes_median=pl.col("lead_minutes").median(),
        )
        .row(0, named=True)
    )
    n = int(figures["consignments"])
    counts = {name: int(figures[name] or 0) for name in (*CONTROLS, "timeliness_checked", "late_filings")}
    return StatsKpis(
        start=window.start,
        end=window.end,
        consignments=n,
        value_eur=round(float(figures["value_eur"] or 0.0), 2),
        duty_eur=round(float(figures["duty_eur"] or 0.0), 2),
        tax_eur=round(float(figures["tax_eur"] or 0.0), 2),
        revenue_eur=round(float(figures["revenue_eur"] or 0.0), 2),
        released=counts["released"],
        released_automatically=counts["released_automatically"],
        decided=counts["decided"],
        automatic_release_rate=ratio(counts["released_automatically"], counts["decided"]),
        inspections=counts["inspections"],
        examinations_per_million=_per_million(counts["inspections"], n),
        outcomes_recorded=counts["outcomes_recorded"],
        findings=counts["findings"],
        hit_rate=ratio(counts["findings"], counts["outcomes_recorded"]),
        seized=counts["seized"],
        returned=counts["returned"],
        refusals=counts["refusals"],
        refusals_per_million=_per_million(counts["refusals"], n),
        release_minutes_p50=_minutes(figures["release_minutes_p50"]),
        release_minutes_p95=_minutes(figures["release_minutes_p95"]),
        timeliness_checked=counts["timeliness_checked"],
        late_filings=counts["late_filings"],
        late_filing_share=ratio(counts["late_filings"], counts["timeliness_checked"]),
        lead_minutes_median=_minutes(figures["lead_minutes_median"]),
    )
