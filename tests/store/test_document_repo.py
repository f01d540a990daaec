"""Documents with their link views (store.document_repo): the view stored with the body says what the
body says, a body rewritten without its view is read from the body, and no view lets a declaration
link a document its senders did not send."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.clearance.link_view import WaybillView, encode_view, name_digest, view_of
from clearway.clearance.model import canonical_json
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store import document_repo
from clearway.store.bulk import BulkWriter
from clearway.store.privacy_sql import apply_retention

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
COURIER, PLATFORM, PSP, CARRIER, STRANGER = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1", "op-courier-2"

pytestmark = pytest.mark.usefixtures("standard_operators")


def send(service: Clearway, order: Order, payment: Payment, waybill: Waybill | None, at: dt.datetime = T0) -> None:
    assert service.submit_documents("order", PLATFORM, [order], now=at)[0].status == "accepted"
    assert service.submit_documents("payment", PSP, [payment], now=at)[0].status == "accepted"
    if waybill is not None:
        assert service.submit_documents("waybill", CARRIER, [waybill], now=at)[0].status == "accepted"


def declare(service: Clearway, consignment: Consignment) -> tuple[str, State]:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.status == "accepted" and result.id is not None and result.state is not None
    return result.id, result.state


def link_codes(service: Clearway, cid: str) -> set[str]:
    dossier = service.dossier(None, cid)
    assert dossier is not None and dossier.link is not None
    return {r.code for r in dossier.link.reasons}


def stored_views(service: Clearway, operator: str | None = None) -> dict[str, str | None]:
    with service.engine.connect() as conn:
        sql = "SELECT kind, link_view FROM documents" + (" WHERE operator_id = :o" if operator else "")
        return dict(conn.execute(sa.text(sql), {"o": operator}).all())  # type: ignore[arg-type]


def test_a_document_is_stored_with_the_view_of_its_body_and_no_name_in_clear(
    service: Clearway, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send(service, order, payment, waybill)
    views = stored_views(service)
    assert views == {"order": encode_view(view_of(order)), "payment": encode_view(view_of(payment)),
                     "waybill": encode_view(view_of(waybill))}  # fmt: skip
    for name in (order.buyer.name, payment.payer.name, waybill.consignee.name):
        assert not any(name.casefold() in str(v).casefold() for v in views.values())
    assert name_digest(order.buyer.name) in str(views["order"])


def test_a_sender_sending_its_document_again_changed_replaces_nothing(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send(service, order, payment, waybill)
    heavier = msgspec.structs.replace(waybill, gross_weight_kg=waybill.gross_weight_kg * 3)
    [again] = service.submit_documents("waybill", CARRIER, [heavier], now=T0)
    assert again.status == "conflict"
    # Body and view are the first ones still, and the declaration links those.
    with service.engine.connect() as conn:
        body, view = conn.execute(sa.text("SELECT body, link_view FROM documents WHERE kind = 'waybill'")).one()
    assert body == canonical_json(waybill).decode() and view == encode_view(view_of(waybill))
    cid, state = declare(service, consignment)
    assert state is State.RELEASED and "weight_mismatch" not in link_codes(service, cid)


def test_a_body_rewritten_alone_loses_its_view_and_linking_follows_the_body(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send(service, order, payment, waybill)
    heavier = msgspec.structs.replace(waybill, gross_weight_kg=waybill.gross_weight_kg * 3)
    # As a hand edit (or any writer but document_repo) would: the body changes, the view is left.
    with service.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE documents SET body = :b WHERE kind = 'waybill'"), {"b": canonical_json(heavier).decode()}
        )
    assert stored_views(service, CARRIER) == {"waybill": None}
    with service.engine.connect() as conn:
        [doc] = document_repo.views_by(BulkWriter(conn), "waybill", "number", [waybill.transport_document])[
            waybill.transport_document
        ]
    assert doc.view == view_of(heavier) and isinstance(doc.view, WaybillView)
    cid, state = declare(service, consignment)
    assert state is not State.RELEASED and "weight_mismatch" in link_codes(service, cid)
    # A writer that rewrites the view with the body keeps it.
    with service.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE documents SET body = :b, link_view = :v WHERE kind = 'waybill'"),
            {"b": canonical_json(waybill).decode(), "v": encode_view(view_of(waybill))},
        )
    assert stored_views(service, CARRIER) == {"waybill": encode_view(view_of(waybill))}


def test_retention_anonymising_a_document_leaves_no_view_of_its_old_names(
    service: Clearway, order: Order, payment: Payment, waybill: Waybill
) -> None:
    long_ago = T0 - dt.timedelta(days=2000)
    send(service, order, payment, waybill, at=long_ago)
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=T0, older_than=dt.timedelta(days=1095))
    assert report.orphans == 3
    assert stored_views(service) == {"order": None, "payment": None, "waybill": None}
    with service.engine.connect() as conn:
        [doc] = document_repo.views_by(BulkWriter(conn), "order", "number", [order.order_number])[order.order_number]
        body = conn.execute(sa.text("SELECT body FROM documents WHERE kind = 'order'")).scalar_one()
    # Read from the anonymised body: the buyer is no longer the one the body first named.
    anonymised = msgspec.json.decode(body, type=Order)
    assert doc.view == view_of(anonymised)
    assert doc.view.buyer != name_digest(order.buyer.name)  # type: ignore[union-attr]


def test_another_operators_document_under_the_number_is_never_linked(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """A courier the declaration does not name sends the waybill first, with the very values the
    declaration expects: its view is stored and read, and still not linked."""
    send(service, order, payment, None)
    assert service.submit_documents("waybill", STRANGER, [waybill], now=T0)[0].status == "accepted"
    assert stored_views(service, STRANGER) == {"waybill": encode_view(view_of(waybill))}
    cid, state = declare(service, consignment)
    assert state is State.AWAITING_DOCUMENTS
    dossier = service.dossier(None, cid)
    assert dossier is not None and dossier.link is not None and dossier.link.missing == ["waybill"]
    assert [(d.operator_id, why) for d, why in dossier.other_documents] == [(STRANGER, "sender_not_named")]
    # The carrier the declaration names sends it: linked, from that carrier.
    service.submit_documents("waybill", CARRIER, [waybill], now=T0)
    dossier = service.dossier(None, cid)
    assert dossier is not None and dossier.consignment.status.state is State.RELEASED
    assert dossier.documents["waybill"].operator_id == CARRIER
