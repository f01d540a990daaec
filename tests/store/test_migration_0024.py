"""Migration 0024 on a database with documents stored before it (a body, no link view): the backfill
gives each the view of its body, and a declaration links them as before; on SQLite and PostgreSQL
(the test database), both ways."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.clearance.link_view import encode_view, view_of
from clearway.clearance.model import canonical_json, content_hash, new_id
from clearway.dataset.records import Consignment, Document, Order, Payment, Waybill
from clearway.store import document_repo
from clearway.store.migrate import downgrade, upgrade

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("standard_operators")


def insert_as_before(conn: sa.Connection, kind: str, operator: str, number: str, record: Document | str) -> None:
    """A document row as the code before 0024 wrote it: no link_view column at all."""
    body = record if isinstance(record, str) else canonical_json(record).decode()
    conn.execute(
        sa.text(
            "INSERT INTO documents (id, kind, operator_id, number, order_number, body_hash, received_at, body,"
            " sender_kind) VALUES (:id, :kind, :op, :number, :order, :hash, :at, :body, :sender)"
        ),
        {
            "id": new_id(),
            "kind": kind,
            "op": operator,
            "number": number,
            "order": getattr(record, "order_number", None),
            "hash": content_hash(body.encode()),
            "at": "2026-11-22 08:00:00.000000" if conn.dialect.name == "sqlite" else T0,
            "body": body,
            "sender": {"order": "marketplace", "payment": "payment_provider", "waybill": "postal_operator"}[kind],
        },
    )


def columns(service: Clearway) -> set[str]:
    return {c["name"] for c in sa.inspect(service.engine).get_columns("documents")}


def test_documents_stored_before_the_migration_link_after_the_backfill(
    service: Clearway,
    database_url: str,
    consignment: Consignment,
    order: Order,
    payment: Payment,
    waybill: Waybill,
) -> None:
    service.engine.dispose()
    try:
        downgrade(database_url, "0023")
        assert "link_view" not in columns(service)
        with service.engine.begin() as conn:
            insert_as_before(conn, "order", "op-platform-1", order.order_number, order)
            insert_as_before(conn, "payment", "op-psp-1", payment.payment_id, payment)
            insert_as_before(conn, "waybill", "op-post-1", waybill.transport_document, waybill)
            # A body today's records cannot read: left without a view, not a failed migration.
            insert_as_before(conn, "waybill", "op-courier-2", "JUNK-1", '{"transport_document": "JUNK-1"}')
    finally:
        upgrade(database_url)
    service.engine.dispose()
    with service.engine.connect() as conn:
        views = dict(conn.execute(sa.text("SELECT number, link_view FROM documents")).all())  # type: ignore[arg-type]
    assert views == {
        order.order_number: encode_view(view_of(order)),
        payment.payment_id: encode_view(view_of(payment)),
        waybill.transport_document: encode_view(view_of(waybill)),
        "JUNK-1": None,
    }
    [result] = service.submit_consignments("op-courier-1", [consignment], now=T0)
    assert result.state is State.RELEASED
    dossier = service.dossier(None, str(result.id))
    assert dossier is not None and dossier.link is not None and dossier.link.status == "linked"
    assert {kind: doc.operator_id for kind, doc in dossier.documents.items()} == {
        "order": "op-platform-1",
        "payment": "op-psp-1",
        "waybill": "op-post-1",
    }


def test_the_trigger_is_back_after_a_round_trip(service: Clearway, database_url: str, waybill: Waybill) -> None:
    service.engine.dispose()
    downgrade(database_url, "0023")
    upgrade(database_url)
    service.engine.dispose()
    service.submit_documents("waybill", "op-post-1", [waybill], now=T0)
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE documents SET body = body || ' '"))
        assert conn.execute(sa.text("SELECT link_view FROM documents")).scalar_one() is None


def test_the_downgrade_keeps_documents_the_retention_log_names(
    service: Clearway, database_url: str, waybill: Waybill
) -> None:
    """A document anonymised by retention has a row in document_retention_log, whose foreign key
    refused the downgrade's table copy on SQLite: the column is dropped in place instead."""
    service.submit_documents("waybill", "op-post-1", [waybill], now=T0)
    with service.engine.begin() as conn:
        document = conn.execute(sa.text("SELECT id FROM documents")).scalar_one()
        conn.execute(
            sa.text("INSERT INTO document_retention_log (document_id, anonymised_at) VALUES (:d, :at)"),
            {"d": document, "at": "2026-11-23 08:00:00.000000" if conn.dialect.name == "sqlite" else T0},
        )
    service.engine.dispose()
    downgrade(database_url, "0023")
    assert "link_view" not in columns(service)
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM document_retention_log")).scalar_one() == 1
    upgrade(database_url)
    service.engine.dispose()
    assert "link_view" in columns(service)


def test_the_schema_at_head_has_the_trigger(engine: sa.Engine) -> None:
    # A later migration that rebuilds ``documents`` on SQLite (Alembic's batch mode copies the table
    # and drops its triggers) must create it again: this fails until it does.
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :t"
        else:
            sql = "SELECT count(*) FROM pg_trigger WHERE tgname = :t"
        assert conn.execute(sa.text(sql), {"t": document_repo.TRIGGER}).scalar_one() == 1
