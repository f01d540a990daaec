"""Purging whole months (store/purge.py): on SQLite by id range, on PostgreSQL by dropped partitions."""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance import model
from clearway.dataset.records import Consignment
from clearway.store import partitions
from clearway.store.partitions import Month
from clearway.store.privacy_sql import apply_retention
from clearway.store.privacy_tables import purged_months, retention_log
from clearway.store.purge import PurgeRefused, horizon, months_before, purge, shortest_horizon
from clearway.store.tables import audit_log, consignment_versions, consignments, history, results
from tests.store.test_privacy_sql import variant

pytestmark = pytest.mark.usefixtures("standard_operators")

COURIER = "op-courier-1"
T_JAN, T_FEB = dt.datetime(2020, 1, 15, tzinfo=dt.UTC), dt.datetime(2020, 2, 10, tzinfo=dt.UTC)
NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
RETENTION_DAYS = 1095
FAMILY = (consignments, consignment_versions, history, results, retention_log)


@contextmanager
def ids_made_at(monkeypatch: pytest.MonkeyPatch, at: dt.datetime) -> Iterator[None]:
    """new_id() as it was at ``at``: the consignments get ids (so months) of that time."""
    clock = types.SimpleNamespace(time_ns=lambda: int(at.timestamp() * 1e9))
    with monkeypatch.context() as patch:
        patch.setattr(model, "time", clock)
        yield


def submit_at(service: Clearway, c: Consignment, at: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> str:
    with ids_made_at(monkeypatch, at):
        [result] = service.submit_consignments(COURIER, [c], now=at)
    assert result.status == "accepted" and result.id
    return result.id


@pytest.fixture
def months(service: Clearway, consignment: Consignment, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return make_months(service, consignment, monkeypatch)


def make_months(service: Clearway, consignment: Consignment, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """January 2020: two consignments, closed and (after retention) anonymised. February 2020: one
    closed, one still waiting for its documents. And one of today's."""
    ids = {}
    for name, at in (("jan1", T_JAN), ("jan2", T_JAN), ("feb_closed", T_FEB)):
        ids[name] = submit_at(service, variant(consignment, name), at, monkeypatch)
        service.cancel(COURIER, ids[name], "withdrawn", now=at)
    ids["feb_open"] = submit_at(service, variant(consignment, "feb_open"), T_FEB, monkeypatch)
    [today] = service.submit_consignments(COURIER, [variant(consignment, "today")])
    assert today.id
    ids["today"] = today.id
    with service.engine.begin() as conn:
        while not apply_retention(conn, now=NOW, older_than=dt.timedelta(days=RETENTION_DAYS)).done:
            pass
    if service.engine.dialect.name == "postgresql":
        with service.engine.begin() as conn:  # the old months' rows wait in DEFAULT until then
            partitions.ensure_month(conn, Month(2020, 1))
            partitions.ensure_month(conn, Month(2020, 2))
            assert conn.execute(sa.text("SELECT count(*) FROM history_p202001")).scalar_one() >= 4
            assert conn.execute(sa.text("SELECT count(*) FROM consignments_default")).scalar_one() == 0
    return ids


def rows_of(service: Clearway, ids: list[str]) -> dict[str, list[tuple[object, ...]]]:
    with service.engine.connect() as conn:
        return {
            t.name: sorted(
                (tuple(row) for row in conn.execute(sa.select(t).where(t.c[_key(t)].in_(ids)))),
                key=lambda row: [str(v) for v in row],
            )
            for t in FAMILY
        }


def _key(table: sa.Table) -> str:
    return "id" if table is consignments else "consignment_id"


def test_ids_of_a_month_fall_in_its_bounds(months: dict[str, str]) -> None:
    assert Month(2020, 1).low <= months["jan1"] < Month(2020, 1).high <= months["feb_open"] < Month(2020, 2).high
    assert partitions.month_of_id(months["jan2"]) == Month(2020, 1)
    assert partitions.month_of_id("not-an-id") is None


def test_a_closed_anonymised_month_goes_whole_and_an_open_one_stays(service: Clearway, months: dict[str, str]) -> None:
    kept_ids = [months["feb_closed"], months["feb_open"], months["today"]]
    kept_before = rows_of(service, kept_ids)
    assert kept_before["history"] and kept_before["results"]
    assert rows_of(service, [months["jan1"], months["jan2"]])["history"]

    outcomes = purge(service.engine, now=NOW, after_months=36, retention_days=RETENTION_DAYS, actor="test:admin")

    by_month = {str(o.month): o for o in outcomes}
    assert set(by_month) == {"2020-01", "2020-02"}
    january, february = by_month["2020-01"], by_month["2020-02"]
    assert january.purged and january.consignments == 2
    assert january.rows["history"] >= 4 and january.rows["retention_log"] == 2
    assert not february.purged and february.refused is not None
    assert "1 consignments not closed" in february.refused and "1 not anonymised" in february.refused
    # Every row of January's consignments is gone; nothing of the others changed.
    assert all(rows == [] for rows in rows_of(service, [months["jan1"], months["jan2"]]).values())
    assert rows_of(service, kept_ids) == kept_before
    if service.engine.dialect.name == "postgresql":
        with service.engine.connect() as conn:
            assert Month(2020, 1) not in partitions.months(conn)
            assert Month(2020, 2) in partitions.months(conn)
            assert (
                conn.execute(
                    sa.text("SELECT count(*) FROM consignment_keys WHERE consignment_id = :i"), {"i": months["jan1"]}
                ).scalar_one()
                == 0
            )
    # What stays: the log row and an audit event with counts and the month, no personal data.
    with service.engine.connect() as conn:
        logged = conn.execute(sa.select(purged_months)).mappings().all()
        event = conn.execute(sa.select(audit_log).where(audit_log.c.action == "privacy.purge")).mappings().one()
    assert [(row["month"], row["consignments"], row["actor"]) for row in logged] == [("2020-01", 2, "test:admin")]
    assert json.loads(logged[0]["rows"]) == january.rows
    assert event["subject"] == "month:2020-01" and json.loads(event["detail"])["consignments"] == 2
    assert "Anna" not in event["detail"]
    assert service.verify_audit().ok
    # Run again: January is gone, February still refused, nothing new recorded.
    again = purge(service.engine, now=NOW, after_months=36, retention_days=RETENTION_DAYS, actor="test:admin")
    assert [(str(o.month), o.purged) for o in again] == [("2020-02", False)]
    assert service.verify_audit().ok


def test_the_months_before_the_horizon_are_the_ones_with_rows(service: Clearway, months: dict[str, str]) -> None:
    with service.engine.connect() as conn:
        assert months_before(conn, Month(2020, 2)) == [Month(2020, 1)]
        assert months_before(conn, Month(2021, 1)) == [Month(2020, 1), Month(2020, 2)]


def test_a_horizon_inside_the_anonymisation_period_is_refused(service: Clearway, months: dict[str, str]) -> None:
    assert shortest_horizon(1095) == 36 and shortest_horizon(30) == 1
    with pytest.raises(PurgeRefused, match="shorter than the anonymisation period"):
        purge(service.engine, now=NOW, after_months=35, retention_days=RETENTION_DAYS, actor="test:admin")
    with pytest.raises(PurgeRefused):
        horizon(NOW, 0, RETENTION_DAYS)
    with service.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(purged_months)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one() == 5


def test_a_month_not_before_the_horizon_is_refused(service: Clearway, months: dict[str, str]) -> None:
    from clearway.store.purge import purge_month

    with service.engine.begin() as conn, pytest.raises(PurgeRefused, match="not before the purge horizon"):
        purge_month(conn, Month(2020, 2), now=NOW, actor="test:admin", first_kept=Month(2020, 2))


def test_the_month_is_locked_before_it_is_checked(
    service: Clearway, months: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consignment committed between the check and the drop would go unchecked: on PostgreSQL the
    purge holds every table of the family from before it counts the month's open consignments."""
    if service.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no table locks: its purge relies on the transaction's snapshot")
    from clearway.store import purge as purging

    held: list[bool] = []
    checked = purging.blockers

    def spying(conn: sa.Connection, month: Month) -> str | None:
        held.append(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'AccessExclusiveLock' "
                    "AND relation = 'consignments'::regclass"
                )
            ).scalar_one()
            == 1
        )
        return checked(conn, month)

    monkeypatch.setattr(purging, "blockers", spying)
    purge(service.engine, now=NOW, after_months=36, retention_days=RETENTION_DAYS, actor="test:admin")
    assert held == [True, True]  # January and February, each checked under the lock
