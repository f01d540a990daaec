"""The statistics service's cache: incremental refreshes agree with a full load, and when to refresh."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from clearway.app.platform import Clearway
from clearway.app.stats import StatsService, stats_of
from clearway.stats.queries import Window
from clearway.store import risk_repo
from tests.conftest import empty
from tests.stats.dataset import OFFICER, Spec, at, load, send_documents


def outcome_alone(service: Clearway, consignment_id: str, outcome: str, at: dt.datetime) -> None:
    """An outcome row written on its own, with no state change beside it (as stored before outcomes
    needed an inspection): the refresh must notice it. Officers' outcomes go through the risk
    service, which records one only for an inspected consignment."""
    with service.engine.begin() as conn:
        latest = risk_repo.latest_result(conn, consignment_id)
        risk_repo.record_outcome(
            conn,
            consignment_id=consignment_id,
            version=1,
            outcome=outcome,
            corrected_value=None,
            corrected_hs_code=None,
            note="",
            officer=OFFICER,
            at=at,
            result=latest[1] if latest else None,
        )


def full_load(service: Clearway) -> pl.DataFrame:
    fresh = StatsService(service.engine, service.settings)
    fresh.refresh(full=True)
    return fresh.facts()


def same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    assert_frame_equal(left.sort("consignment_id"), right.sort("consignment_id"))


def test_an_incremental_refresh_reads_only_what_changed(service: Clearway, fixed: dict[str, str]) -> None:
    stats = stats_of(service)
    first = stats.refresh()
    assert first.full and first.rows == 12
    send_documents(service, "pending", at(26, 9))  # its documents come at last: released
    done = stats.refresh()
    # Changed since the last change read (25 Nov 10:00) less the overlap: held_rfi and pending.
    assert not done.full and done.read == 2 and done.rows == 12
    row = stats.facts().filter(pl.col("consignment_id") == fixed["pending"]).row(0, named=True)
    assert row["state"] == "released" and row["automatic_release"] and row["value_eur"] == 16.0
    same(stats.facts(), full_load(service))


def test_an_outcome_recorded_alone_is_picked_up(service: Clearway, fixed: dict[str, str]) -> None:
    stats = stats_of(service)
    stats.refresh()
    outcome_alone(service, fixed["late_filing"], "undervalued", at(27, 9))
    assert not stats.refresh().full
    row = stats.facts().filter(pl.col("consignment_id") == fixed["late_filing"]).row(0, named=True)
    assert row["inspected"] and row["finding"] and row["outcome"] == "undervalued"
    assert stats.kpis(Window()).findings == 3
    same(stats.facts(), full_load(service))


def test_rows_stamped_before_the_last_refresh_or_deleted_force_a_full_load(
    service: Clearway, fixed: dict[str, str]
) -> None:
    stats = stats_of(service)
    stats.refresh()
    # Received "in September", after the refresh: its stamp is older than anything read.
    load(service, [Spec("late_import", dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), [("Mug", "691200", "1", "9.00")])])
    done = stats.refresh()
    assert done.full and done.rows == 13
    empty(service.engine)
    gone = stats.refresh()
    assert gone.full and gone.rows == 0 and stats.kpis(Window()).consignments == 0


def test_queries_answer_from_the_cache_until_it_is_older_than_the_setting(
    service: Clearway, fixed: dict[str, str]
) -> None:
    now = [1000.0]
    settings = dataclasses.replace(service.settings, stats_refresh_seconds=30)
    stats = StatsService(service.engine, settings, clock=lambda: now[0])
    assert stats.kpis(Window()).consignments == 12
    send_documents(service, "pending", at(26, 9))
    now[0] += 29
    assert stats.kpis(Window()).released == 8  # 7 released in November, 1 in October: not yet refreshed
    now[0] += 1
    assert stats.kpis(Window()).released == 9


def test_each_service_has_its_own_statistics(service: Clearway) -> None:
    assert stats_of(service) is stats_of(service)
    other = Clearway(service.settings, engine=service.engine)
    assert stats_of(other) is not stats_of(service)


def test_rows_stamped_in_the_future_do_not_hide_changes_made_now(service: Clearway, fixed: dict[str, str]) -> None:
    # A replayed simulation can stamp rows days ahead of the clock; a real change made now (an
    # outcome recorded by an officer) must still reach the figures on the next refresh.
    stats = stats_of(service)
    send_documents(service, "pending", dt.datetime.now(dt.UTC) + dt.timedelta(days=6))
    stats.refresh()
    assert stats._watermark is not None and stats._watermark <= dt.datetime.now(dt.UTC)
    outcome_alone(service, fixed["late_filing"], "counterfeit", dt.datetime.now(dt.UTC))
    assert not stats.refresh().full
    row = stats.facts().filter(pl.col("consignment_id") == fixed["late_filing"]).row(0, named=True)
    assert row["outcome"] == "counterfeit"
