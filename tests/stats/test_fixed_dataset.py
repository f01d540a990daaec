"""The statistics of the fixed data set (tests/stats/dataset.py), against figures worked out by hand.

November holds eleven consignments (the twelfth came in October):

    name          state               held insp outcome      value  duty   tax    to release  late  lead
    auto_post     released (auto)      -    -    -            20.00  3.00   4.94     0 min    no    2340
    late_docs     released (auto)      -    -    -            50.00  6.00  10.64   120 min    no    -
    fr_tr         released (auto)      -    -    -            40.00  3.00   8.60     0 min    no     960
    seized        seized               y    y    counterfeit  25.00  3.00   5.32      -       no    -
    late_filing   released (auto)      -    -    -            15.00  3.00   3.78     0 min    yes  -1920
    inspected_ok  released             y    y    compliant    15.00  3.00   3.42  2880 min    no    -
    returned      returned             y    y    prohibited   60.00  3.00  11.97      -       no    -
    pending       awaiting_documents   -    -    -              -      -      -       -       -     -
    cancelled     cancelled            -    -    -              -      -      -       -       -     -
    gift          released (auto)      -    -    -            25.00  0.00   0.00     0 min    no    -
    held_rfi      released             y    -    -              -      -      -       1440 min   -     -
"""

from __future__ import annotations

import datetime as dt

import pytest

from clearway.app.platform import Clearway
from clearway.app.stats import stats_of
from clearway.stats.model import StatsBreakdownRow
from clearway.stats.queries import Window
from tests.stats.dataset import NOVEMBER, POST_OPERATOR

NOV = Window.parse(*NOVEMBER)


def test_facts_of_each_consignment(service: Clearway, fixed: dict[str, str]) -> None:
    facts = stats_of(service).facts()
    assert facts.height == 12
    rows = {row["consignment_id"]: row for row in facts.iter_rows(named=True)}
    late_docs = rows[fixed["late_docs"]]
    assert (late_docs["origin"], late_docs["hs_chapter"], late_docs["channel"]) == ("CN", "91", "courier")
    assert late_docs["collection_model"] == "intermediary" and late_docs["automatic_release"]
    assert late_docs["released_at"] - late_docs["received_at"] == dt.timedelta(hours=2)
    assert (late_docs["duty_eur"], late_docs["tax_eur"]) == pytest.approx((6.00, 10.64))
    post = rows[fixed["auto_post"]]
    assert (post["channel"], post["operator_id"], post["lead_minutes"]) == ("post", POST_OPERATOR, 2340.0)
    seized = rows[fixed["seized"]]
    assert (seized["state"], seized["held"], seized["inspected"], seized["outcome"]) == (
        "seized",
        True,
        True,
        "counterfeit",
    )
    assert seized["finding"] and seized["refused"] and not seized["automatic_release"]
    assert rows[fixed["late_filing"]]["late_filing"] and rows[fixed["late_filing"]]["lead_minutes"] == -1920.0
    assert rows[fixed["gift"]]["relationship"] == "C2C" and rows[fixed["gift"]]["collection_model"] == "none"
    pending = rows[fixed["pending"]]
    assert pending["value_eur"] is None and pending["late_filing"] is None and pending["collection_model"] is None
    held = rows[fixed["held_rfi"]]
    assert held["held"] and not held["inspected"] and not held["automatic_release"]


def test_kpis_of_november(service: Clearway, fixed: dict[str, str]) -> None:
    k = stats_of(service).kpis(NOV)
    assert (k.start, k.end, k.consignments) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 11)
    # 20 + 50 + 40 + 25 + 15 + 15 + 60 + 25 (pending, cancelled and held_rfi were never valued).
    assert k.value_eur == 250.00
    # Released: auto_post, late_docs, fr_tr, late_filing, inspected_ok, gift (held_rfi: not assessed).
    assert k.duty_eur == 18.00  # 3 + 6 + 3 + 3 + 3 + 0
    assert k.tax_eur == 31.38  # 4.94 + 10.64 + 8.60 + 3.78 + 3.42 + 0
    assert k.revenue_eur == 49.38
    assert (k.released, k.released_automatically, k.decided) == (7, 5, 9)  # decided: 7 released + seized + returned
    assert k.automatic_release_rate == 0.555556  # 5 / 9
    assert (k.inspections, k.outcomes_recorded, k.findings) == (3, 3, 2)
    assert k.examinations_per_million == 272727.3  # 3 / 11 x 1e6
    assert k.hit_rate == 0.666667  # counterfeit and prohibited, of 3 outcomes
    assert (k.seized, k.returned, k.refusals) == (1, 1, 2)
    assert k.refusals_per_million == 181818.2  # 2 / 11 x 1e6
    # Minutes to release, sorted: 0 0 0 0 120 1440 2880; p50 the 4th; p95 at rank 5.7: 1440 + 0.7 x 1440.
    assert (k.release_minutes_p50, k.release_minutes_p95) == (0.0, 2448.0)
    # Eight have a risk result (not pending, cancelled, held_rfi); one of them was filed late.
    assert (k.timeliness_checked, k.late_filings, k.late_filing_share) == (8, 1, 0.125)
    assert k.lead_minutes_median == 960.0  # of 2340, 960, -1920


def test_kpis_of_other_windows(service: Clearway, fixed: dict[str, str]) -> None:
    stats = stats_of(service)
    everything = stats.kpis(Window())
    assert (everything.consignments, everything.value_eur, everything.revenue_eur) == (12, 260.00, 54.85)
    # 17 and 18 November, both days whole: fr_tr, seized, late_filing, inspected_ok.
    two_days = stats.kpis(Window(dt.date(2026, 11, 17), dt.date(2026, 11, 18)))
    assert (two_days.consignments, two_days.decided, two_days.released_automatically) == (4, 4, 2)
    assert two_days.hit_rate == 0.5
    empty = stats.kpis(Window(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    assert empty.consignments == 0 and empty.automatic_release_rate is None and empty.hit_rate is None
    assert empty.examinations_per_million is None and empty.release_minutes_p50 is None


def test_breakdown_by_origin(service: Clearway, fixed: dict[str, str]) -> None:
    b = stats_of(service).breakdown(NOV, by="origin")
    assert b.consignments == 11
    assert [(r.key, r.consignments) for r in b.rows] == [("CN", 8), ("GB", 1), ("TR", 1), ("US", 1)]
    assert b.rows[0] == StatsBreakdownRow(
        key="CN",
        consignments=8,
        share=0.727273,  # 8 / 11
        value_eur=170.00,  # 20 + 50 + 25 + 15 + 60
        duty_eur=12.00,  # released: auto_post 3 + late_docs 6 + inspected_ok 3
        tax_eur=19.00,  # 4.94 + 10.64 + 3.42
        revenue_eur=31.00,
        inspections=3,
        findings=2,
        hit_rate=0.666667,
        refusals=2,
        automatic_release_rate=0.333333,  # auto_post, late_docs of 6 decided
    )
    top = stats_of(service).breakdown(NOV, by="origin", top=2)
    assert [(r.key, r.consignments, r.value_eur, r.revenue_eur) for r in top.rows] == [
        ("CN", 8, 170.00, 31.00),
        ("GB", 1, 25.00, 0.00),
        ("(other)", 2, 55.00, 18.38),  # TR 3 + 8.60 and US 3 + 3.78
    ]


def test_breakdown_by_operator_channel_and_collection(service: Clearway, fixed: dict[str, str]) -> None:
    stats = stats_of(service)
    by_operator = stats.breakdown(NOV, by="operator")
    assert [(r.key, r.consignments) for r in by_operator.rows] == [("op-stats-1", 10), (POST_OPERATOR, 1)]
    by_channel = stats.breakdown(NOV, by="channel")
    assert [(r.key, r.consignments) for r in by_channel.rows] == [("courier", 10), ("post", 1)]
    by_model = stats.breakdown(NOV, by="collection_model")
    # Never assessed: pending, cancelled, held_rfi.
    assert [(r.key, r.consignments) for r in by_model.rows] == [
        ("vendor", 6),
        ("(unknown)", 3),
        ("intermediary", 1),
        ("none", 1),
    ]
    by_chapter = stats.breakdown(NOV, by="hs_chapter")
    assert by_chapter.rows[0].key == "61" and by_chapter.rows[0].consignments == 4  # scarf, T-shirt, socks, gloves


def test_series_by_channel_per_week(service: Clearway, fixed: dict[str, str]) -> None:
    s = stats_of(service).series(NOV, metric="consignments", period="week", by="channel")
    assert s.periods == [dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
    assert [(line.key, line.values, line.total) for line in s.series] == [
        ("courier", [6, 4], 10),
        ("post", [1, 0], 1),
    ]


def test_series_of_revenue_by_origin(service: Clearway, fixed: dict[str, str]) -> None:
    s = stats_of(service).series(NOV, metric="revenue_eur", period="week", by="origin")
    assert [(line.key, line.values) for line in s.series] == [
        ("CN", [31.00, 0.00]),  # week 16: auto_post 7.94, late_docs 16.64, inspected_ok 6.42
        ("TR", [11.60, 0.00]),
        ("US", [6.78, 0.00]),
        ("GB", [0.00, 0.00]),  # the gift pays nothing
    ]


def test_series_per_day_and_month(service: Clearway, fixed: dict[str, str]) -> None:
    stats = stats_of(service)
    daily = stats.series(NOV, metric="value_eur", period="day")
    assert daily.periods[0] == dt.date(2026, 11, 16) and daily.periods[-1] == dt.date(2026, 11, 24)
    [line] = daily.series
    assert line.key == "all" and len(line.values) == 9 and line.total == 250.00
    assert line.values[:4] == [70.00, 65.00, 30.00, 60.00]  # 16th: 20 + 50; 17th: 40 + 25; 18th: 15 + 15
    assert line.values[4:7] == [0.00, 0.00, 0.00]  # 20th to 22nd: nothing received
    monthly = stats.series(Window(), metric="consignments", period="month")
    assert monthly.periods == [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert monthly.series[0].values == [1, 11]
