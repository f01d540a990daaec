"""Monthly partitions on PostgreSQL (store/partitions.py, migration 0023): the migration keeps the
rows, months are created ahead, a row beyond them waits in DEFAULT and moves into its month."""

from __future__ import annotations

import datetime as dt
import os

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.app.schedule import run_due_jobs
from clearway.dataset.records import Consignment
from clearway.store import partitions
from clearway.store.migrate import downgrade, upgrade
from clearway.store.partitions import Month
from tests.store.test_privacy_sql import variant

pytestmark = [
    pytest.mark.usefixtures("standard_operators"),
    pytest.mark.skipif(
        not os.environ.get("CLEARWAY_TEST_DATABASE_URL"),
        reason="PostgreSQL only (CLEARWAY_TEST_DATABASE_URL): SQLite keeps plain tables",
    ),
]

COURIER = "op-courier-1"
FAMILY = (
    "consignments",
    "consignment_versions",
    "history",
    "results",
    "assessments",
    "quota_ledger",
    "risk_results",
    "risk_rule_hits",
    "inspection_outcomes",
    "retention_log",
)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in FAMILY}


def relkind(engine: sa.Engine, table: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one())


def test_the_migration_keeps_the_rows_both_ways(service: Clearway, consignment: Consignment, database_url: str) -> None:
    for n in range(3):
        [result] = service.submit_consignments(COURIER, [variant(consignment, f"m{n}")])
        assert result.status == "accepted"
    before = counts(service.engine)
    assert before["consignments"] == 3 and before["history"] and before["results"]
    service.engine.dispose()
    try:
        downgrade(database_url, "0022")  # the revision before partitions
        assert relkind(service.engine, "consignments") == "r" and relkind(service.engine, "history") == "r"
        assert counts(service.engine) == before
        with service.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT to_regclass('consignment_keys')")).scalar_one() is None
    finally:
        upgrade(database_url)
    assert all(relkind(service.engine, t) == "p" for t in FAMILY)
    assert counts(service.engine) == before
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM consignment_keys")).scalar_one() == 3
        # The month of today's ids holds them, and the sequences still number new history rows.
        this_month = Month.of(dt.datetime.now(dt.UTC))
        assert conn.execute(sa.text(f"SELECT count(*) FROM consignments_{this_month.suffix()}")).scalar_one() == 3
    # Foreign keys are enforced after it, and a reference stored twice is still refused.
    with (
        pytest.raises(sa.exc.IntegrityError, match="fk_history_consignment_id_consignments"),
        service.engine.begin() as conn,
    ):
        conn.execute(
            sa.text(
                "INSERT INTO history (consignment_id, at, actor, to_state, reason) "
                "VALUES ('0000000000000000nonexistent', now(), 'x', 'received', 'x')"
            )
        )
    with pytest.raises(sa.exc.IntegrityError, match="pk_consignment_keys"), service.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO consignments SELECT (left(id, 12) || 'ffffffffffffffffffff'), operator_id, reference, "
                "version, body_hash, state, hold_reason, lane, link_status, destination_country, order_number, "
                "payment_key, transport_document, currency, goods_value, received_at, updated_at, deadline, control "
                "FROM consignments LIMIT 1"
            )
        )
    # The service stores and answers a duplicate as before.
    [again] = service.submit_consignments(COURIER, [variant(consignment, "m0")])
    assert again.status == "duplicate"


def test_the_sweep_and_the_command_create_months_ahead(service: Clearway) -> None:
    later = dt.datetime(2031, 3, 20, tzinfo=dt.UTC)
    report = run_due_jobs(service, now=later, retrain=False)
    assert report.partitions_created == ["2031-03", "2031-04", "2031-05", "2031-06"]
    with service.engine.connect() as conn:
        found = partitions.months(conn)
        for table in FAMILY:
            assert conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": f"{table}_p203106"}).scalar_one()
    assert {Month(2031, m) for m in (3, 4, 5, 6)} <= set(found)
    # Nothing to do the second time.
    assert run_due_jobs(service, now=later, retrain=False).partitions_created == []


def test_a_row_beyond_the_months_waits_in_default_and_moves_into_its_month(
    service: Clearway, consignment: Consignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store.test_purge import submit_at

    far = dt.datetime(2033, 7, 4, tzinfo=dt.UTC)
    with service.engine.begin() as conn:
        partitions.ensure_default(conn)
        assert Month(2033, 7) not in partitions.months(conn)
    stored = submit_at(service, variant(consignment, "far"), far, monkeypatch)
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM consignments_default")).scalar_one() == 1
        history_rows = conn.execute(sa.text("SELECT count(*) FROM history_default")).scalar_one()
        assert history_rows >= 1
        listed = {info.month: info.rows for info in partitions.listing(conn)}
    assert listed[None] == 1
    with service.engine.begin() as conn:
        assert partitions.ensure_month(conn, Month(2033, 7))
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM consignments_default")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM history_default")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT id FROM consignments_p203307")).scalar_one() == stored
        assert conn.execute(sa.text("SELECT count(*) FROM history_p203307")).scalar_one() == history_rows
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM consignment_keys WHERE consignment_id = :i"), {"i": stored}
            ).scalar_one()
            == 1
        )
    assert service.dossier(COURIER, stored) is not None


def test_a_lookup_by_id_reads_one_partition(service: Clearway, consignment: Consignment) -> None:
    [result] = service.submit_consignments(COURIER, [variant(consignment, "plan")])
    assert result.id
    with service.engine.begin() as conn:
        partitions.create_ahead(conn, dt.datetime.now(dt.UTC), 3)
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plans = {
            table: "\n".join(
                conn.execute(sa.text(f"EXPLAIN SELECT * FROM {table} WHERE {key} = :i"), {"i": result.id}).scalars()
            )
            for table, key in (
                ("consignments", "id"),
                ("history", "consignment_id"),
                ("consignment_versions", "consignment_id"),
            )
        }
    this_month = Month.of(dt.datetime.now(dt.UTC)).suffix()
    for table, plan in plans.items():
        assert f"{table}_{this_month}" in plan, plan
        assert (
            f"{table}_default" not in plan
            and f"{table}_{Month.of(dt.datetime.now(dt.UTC)).plus(1).suffix()}" not in plan
        ), plan


def test_a_reference_is_one_declaration_across_months(
    service: Clearway, consignment: Consignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idempotency holds across partitions: the same reference sent again a month later (a replay, a
    second process) is the same declaration, not a new one in the new month."""
    from tests.store.test_purge import ids_made_at

    original = variant(consignment, "across")
    with ids_made_at(monkeypatch, dt.datetime(2020, 1, 15, tzinfo=dt.UTC)):
        [first] = service.submit_consignments(COURIER, [original])
    assert first.status == "accepted"
    [again] = service.submit_consignments(COURIER, [original])  # today's id, another month
    assert again.status == "duplicate" and again.id == first.id
    changed = msgspec.structs.replace(original, destination_country="FR")
    [other] = service.submit_consignments(COURIER, [changed])
    assert other.status == "conflict"
    with service.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*) FROM consignments WHERE reference = :r"), {"r": original.reference}
        ).scalar_one()
    assert stored == 1
