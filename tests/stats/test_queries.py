"""Windows, series, breakdowns and KPIs over facts frames made by hand: no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from clearway.stats.facts import FACTS_SCHEMA, empty_facts
from clearway.stats.kpis import kpis
from clearway.stats.queries import OTHER, UNKNOWN, Window, WindowError, breakdown, extent, series, within

DAY = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)  # a Monday


def fact(n: int, received: dt.datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FACTS_SCHEMA)
    row |= {
        "consignment_id": f"c{n}",
        "version": 1,
        "operator_id": "op-1",
        "received_at": received,
        "updated_at": received,
        "state": "released",
        "origin": "CN",
        "channel": "courier",
        "relationship": "B2C",
        "currency": "EUR",
        "goods_value": 10.0,
        "value_eur": 10.0,
        "held": False,
        "inspected": False,
        "finding": False,
        "refused": False,
        "automatic_release": True,
    }
    return row | values


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FACTS_SCHEMA)


def test_a_window_includes_both_whole_days() -> None:
    facts = frame(
        [
            fact(1, dt.datetime(2026, 11, 15, 23, 59, 59, 999999, tzinfo=dt.UTC)),
            fact(2, dt.datetime(2026, 11, 16, 0, 0, tzinfo=dt.UTC)),
            fact(3, dt.datetime(2026, 11, 17, 23, 59, 59, 999999, tzinfo=dt.UTC)),
            fact(4, dt.datetime(2026, 11, 18, 0, 0, tzinfo=dt.UTC)),
        ]
    )
    window = Window(dt.date(2026, 11, 16), dt.date(2026, 11, 17))
    assert within(facts, window)["consignment_id"].to_list() == ["c2", "c3"]
    assert within(facts, Window(end=dt.date(2026, 11, 16))).height == 2
    assert within(facts, Window(start=dt.date(9999, 12, 31))).height == 0
    assert within(facts, Window(end=dt.date(9999, 12, 31))).height == 4
    assert extent(facts) == (dt.date(2026, 11, 15), dt.date(2026, 11, 18))
    assert extent(empty_facts()) is None


@pytest.mark.parametrize(
    ("start", "end", "pointer"),
    [("2026-11-31", None, "/from"), (None, "yesterday", "/to"), ("2026-11-20", "2026-11-19", "/to")],
)
def test_impossible_windows_name_their_parameter(start: str | None, end: str | None, pointer: str) -> None:
    with pytest.raises(WindowError) as raised:
        Window.parse(start, end)
    assert raised.value.pointer == pointer
    assert Window.parse(" ", "") == Window()


def test_series_fills_periods_without_consignments_and_sums_the_rest_as_other() -> None:
    rows = [fact(i, DAY + dt.timedelta(days=i % 3 * 7), origin=origin) for i, origin in enumerate("AABBBCD")]
    rows.append(fact(99, DAY, origin=None))
    s = series(frame(rows), window=Window(), metric="consignments", period="week", by="origin", top=2)
    # Weeks of 16 Nov, 23 Nov and 30 Nov; the receipts fall in weeks i % 3.
    assert s.periods == [dt.date(2026, 11, 16), dt.date(2026, 11, 23), dt.date(2026, 11, 30)]
    lines = {line.key: (line.values, line.total) for line in s.series}
    assert [line.key for line in s.series] == ["B", "A", OTHER]
    assert lines["B"] == ([1, 1, 1], 3)  # i = 2, 3, 4
    assert lines["A"] == ([1, 1, 0], 2)  # i = 0, 1
    assert lines[OTHER] == ([2, 0, 1], 3)  # C (i = 5), D (i = 6) and the unknown origin
    everything = series(frame(rows), window=Window(), metric="consignments", period="week", by="origin", top=20)
    assert UNKNOWN in {line.key for line in everything.series} and OTHER not in {line.key for line in everything.series}


def test_revenue_counts_released_consignments_only() -> None:
    rows = [
        fact(1, DAY, duty_eur=3.0, tax_eur=4.0),
        fact(2, DAY, state="seized", duty_eur=5.0, tax_eur=6.0, refused=True, automatic_release=False),
        fact(3, DAY, duty_eur=None, tax_eur=1.5),
    ]
    [line] = series(frame(rows), window=Window(), metric="revenue_eur", period="day").series
    assert line.values == [8.5]
    [row] = breakdown(frame(rows), window=Window(), by="channel").rows
    assert (row.duty_eur, row.tax_eur, row.revenue_eur, row.value_eur) == (3.0, 5.5, 8.5, 30.0)


def test_empty_answers() -> None:
    s = series(empty_facts(), window=Window(), metric="value_eur", period="month", by="lane")
    assert s.periods == [] and s.series == []
    b = breakdown(empty_facts(), window=Window(), by="lane")
    assert b.consignments == 0 and b.rows == []
    k = kpis(empty_facts(), Window())
    assert k.consignments == 0 and k.value_eur == 0.0
    assert k.hit_rate is None and k.release_minutes_p95 is None and k.lead_minutes_median is None


def test_kpis_by_hand() -> None:
    rows = [
        fact(1, DAY, released_at=DAY + dt.timedelta(minutes=10), late_filing=False, lead_minutes=100.0),
        fact(2, DAY, released_at=DAY + dt.timedelta(minutes=30), late_filing=True, lead_minutes=-20.0),
        fact(
            3,
            DAY,
            state="returned",
            refused=True,
            held=True,
            inspected=True,
            outcome="prohibited",
            finding=True,
            automatic_release=False,
        ),
        fact(4, DAY, state="awaiting_documents", automatic_release=False),
    ]
    k = kpis(frame(rows), Window())
    assert (k.consignments, k.decided, k.released_automatically, k.automatic_release_rate) == (4, 3, 2, 0.666667)
    assert (k.examinations_per_million, k.refusals_per_million, k.hit_rate) == (250000.0, 250000.0, 1.0)
    assert (k.release_minutes_p50, k.release_minutes_p95) == (20.0, 29.0)  # 10 + 0.5 x 20; 10 + 0.95 x 20
    assert (k.timeliness_checked, k.late_filing_share, k.lead_minutes_median) == (2, 0.5, 40.0)


def test_a_consignment_customs_stopped_counts_against_the_automatic_release_rate() -> None:
    rows = [
        fact(1, DAY, released_at=DAY + dt.timedelta(minutes=10)),
        fact(2, DAY, state="held", held=True, automatic_release=False),
        fact(3, DAY, state="inspected", held=True, inspected=True, automatic_release=False),
        fact(4, DAY, state="awaiting_documents", automatic_release=False),
    ]
    k = kpis(frame(rows), Window())
    # Decided: the release and the two stopped (not the one still waiting for its documents).
    assert (k.decided, k.released_automatically, k.automatic_release_rate) == (3, 1, 0.333333)
