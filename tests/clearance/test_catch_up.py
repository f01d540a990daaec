"""The catch-up after a commit (clearance.catch_up), on documents stored behind a waiting
declaration's back, as another process's commit would be; with two real services racing on
PostgreSQL in tests/app/test_concurrency.py."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from clearway.app.platform import Clearway
from clearway.clearance.catch_up import catch_up, with_documents
from clearway.clearance.lifecycle import State
from clearway.clearance.model import StoredDocument, canonical_json, content_hash, new_id
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store.repository import SqlClearanceStore

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
COURIER, PLATFORM, PSP, CARRIER = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1"
ON_POSTGRESQL = bool(os.environ.get("CLEARWAY_TEST_DATABASE_URL"))
TWO_PROCESSES = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="PostgreSQL-only: SQLite has one writing process, whose lock orders every transaction"
)

pytestmark = pytest.mark.usefixtures("standard_operators")


def state_of(service: Clearway, consignment_id: str) -> State:
    dossier = service.dossier(None, consignment_id)
    assert dossier is not None
    return dossier.consignment.status.state


def history_of(service: Clearway, consignment_id: str) -> list[str]:
    dossier = service.dossier(None, consignment_id)
    assert dossier is not None
    return [h["to_state"] for h in dossier.history]


def stored(kind: Any, operator: str, number: str, record: Any) -> StoredDocument:
    return StoredDocument(
        id=new_id(),
        kind=kind,
        operator_id=operator,
        number=number,
        body_hash=content_hash(canonical_json(record)),
        received_at=T0,
        record=record,
        sender_kind={"order": "marketplace", "payment": "payment_provider", "waybill": "postal_operator"}[kind],
    )


def test_documents_stored_behind_a_waiting_declaration_are_caught_up_once(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """As if another process had committed them unseen: stored without the relink that follows."""
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.state is State.AWAITING_DOCUMENTS
    cid = str(result.id)
    with service.engine.begin() as conn:
        SqlClearanceStore(conn).insert_documents(
            [
                stored("order", PLATFORM, order.order_number, order),
                stored("payment", PSP, payment.payment_id, payment),
                stored("waybill", CARRIER, waybill.transport_document, waybill),
            ]
        )
    assert state_of(service, cid) is State.AWAITING_DOCUMENTS  # nobody relinked it
    for attempt in range(2):
        with service.engine.begin() as conn:
            store = SqlClearanceStore(conn)
            candidates = with_documents(store, {cid: consignment})
            moved = catch_up(store, candidates, {}, now=T0, actor="system:linking", config=service.config)
        assert moved == ([cid] if attempt == 0 else []), attempt  # the second look finds nothing new
    assert state_of(service, cid) is State.RELEASED
    assert history_of(service, cid) == ["received", "awaiting_documents", "assessed", "released"]


def test_a_declaration_with_no_document_at_all_is_not_even_read(
    service: Clearway, consignment: Consignment, order: Order
) -> None:
    """The narrow look (documents_present) spares reading and locking a declaration none of whose
    keys has a document; one with a document under one of its keys is read and compared."""
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    cid = str(result.id)
    with service.engine.begin() as conn:
        store = SqlClearanceStore(conn)
        keys = {"order": {order.order_number}, "payment": set(), "waybill": set()}
        assert store.documents_present(keys) == {}
        store.insert_documents([stored("order", PLATFORM, order.order_number, order)])
        assert store.documents_present(keys) == {"order": {order.order_number}}
        assert with_documents(store, {cid: consignment}) == [cid]
        moved = catch_up(store, [cid], {}, now=T0, actor="x", config=service.config)
    assert moved == [cid]  # the order was stored behind its back: linked again, still waiting for the rest
    assert state_of(service, cid) is State.AWAITING_DOCUMENTS


def test_a_look_that_finds_nothing_new_writes_nothing(service: Clearway, consignment: Consignment) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    cid = str(result.id)
    with service.engine.begin() as conn:
        store = SqlClearanceStore(conn)
        before = store.last_links([cid])
        assert with_documents(store, {cid: consignment}) == []
        assert catch_up(store, [], {"order": {"nobody"}}, now=T0, actor="x", config=service.config) == []
        assert store.last_links([cid]) == before
