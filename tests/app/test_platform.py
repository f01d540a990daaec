"""The pipeline end to end on the real store (SQLite, and PostgreSQL in the second pass)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import permutations

import msgspec
import pytest

from clearway.app.platform import Clearway, ConsignmentDossier
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.model import StoredDocument, canonical_json, content_hash, new_id
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store.repository import SqlClearanceStore

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
COURIER, PLATFORM, PSP, CARRIER = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1"


# The fixture declaration names the platform, the payment provider and the post as the senders of
# its documents (clearance.senders).
pytestmark = pytest.mark.usefixtures("standard_operators")


def dossier_of(service: Clearway, consignment_id: str, operator: str | None = COURIER) -> ConsignmentDossier:
    found = service.dossier(operator, consignment_id)
    assert found is not None, f"no consignment {consignment_id} for {operator}"
    return found


def send_documents(service: Clearway, order: Order, payment: Payment, waybill: Waybill, at: dt.datetime = T0) -> None:
    service.submit_documents("order", PLATFORM, [order], now=at)
    service.submit_documents("payment", PSP, [payment], now=at)
    service.submit_documents("waybill", CARRIER, [waybill], now=at)


def test_documents_first_then_declaration_is_released_at_once(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send_documents(service, order, payment, waybill)
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.status == "accepted" and result.state is State.RELEASED
    dossier = dossier_of(service, result.id or "", COURIER)
    assert [h["to_state"] for h in dossier.history] == ["received", "assessed", "released"]
    assert set(dossier.documents) == {"order", "payment", "waybill"}
    assert dossier.link is not None and dossier.link.status == "linked"
    assert dossier.decision is not None and dossier.decision.lane == "green"


@pytest.mark.parametrize("arrival", list(permutations(["order", "payment", "waybill"])))
def test_declaration_first_waits_then_links_in_any_order(
    service: Clearway,
    consignment: Consignment,
    order: Order,
    payment: Payment,
    waybill: Waybill,
    arrival: tuple[str, ...],
) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.state is State.AWAITING_DOCUMENTS
    cid = result.id or ""
    dossier = dossier_of(service, cid, COURIER)
    assert dossier.consignment.status.deadline == T0 + dt.timedelta(hours=72)
    docs = {"order": (PLATFORM, order), "payment": (PSP, payment), "waybill": (CARRIER, waybill)}
    for step, kind in enumerate(arrival, 1):
        sender, record = docs[kind]
        service.submit_documents(kind, sender, [record], now=T0 + dt.timedelta(minutes=step))  # type: ignore[arg-type]
        dossier = dossier_of(service, cid, COURIER)
        expected = State.RELEASED if step == 3 else State.AWAITING_DOCUMENTS
        assert dossier.consignment.status.state is expected
    assert dossier.link is not None and dossier.link.status == "linked"
    assert [h["to_state"] for h in dossier.history] == [
        "received",
        "awaiting_documents",
        "assessed",
        "released",
    ]
    assert dossier.history[-1]["at"] == T0 + dt.timedelta(minutes=3)
    assert dossier.consignment.status.deadline is None


def test_mismatched_payment_is_held_and_says_why(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    short = msgspec.structs.replace(payment, amount=Decimal("20.00"))
    send_documents(service, order, short, waybill, at=T0 + dt.timedelta(hours=1))
    dossier = dossier_of(service, result.id or "", COURIER)
    status = dossier.consignment.status
    assert status.state is State.HELD and status.hold_reason is HoldReason.REQUEST_FOR_INFORMATION
    assert status.link_status == "mismatch" and status.lane == "yellow"
    assert dossier.decision is not None
    [reason, *fiscal] = dossier.decision.reasons
    assert [r.code for r in fiscal] == ["irg_category_3", "tax_scheme_registry_not_loaded"]
    assert reason.code == "payment_amount_mismatch" and "20.00" in reason.message
    assert "20.00" in dossier.history[-1]["reason"]


def test_resubmission_is_idempotent_and_reuse_of_a_reference_conflicts(
    service: Clearway, consignment: Consignment
) -> None:
    [first] = service.submit_consignments(COURIER, [consignment], now=T0)
    [again] = service.submit_consignments(COURIER, [consignment], now=T0 + dt.timedelta(minutes=5))
    assert again.status == "duplicate" and again.id == first.id
    changed = msgspec.structs.replace(consignment, destination_country="FR")
    [clash] = service.submit_consignments(COURIER, [changed], now=T0)
    assert clash.status == "conflict" and clash.errors[0].pointer == "/reference"
    # The same reference from another operator is another message.
    [other] = service.submit_consignments("op-courier-2", [consignment], now=T0)
    assert other.status == "accepted" and other.id != first.id


def test_duplicates_inside_one_batch(service: Clearway, consignment: Consignment) -> None:
    changed = msgspec.structs.replace(consignment, destination_country="FR")
    results = service.submit_consignments(COURIER, [consignment, consignment, changed], now=T0)
    assert [r.status for r in results] == ["accepted", "duplicate", "conflict"]
    assert results[0].id == results[1].id


def test_documents_are_idempotent(service: Clearway, order: Order) -> None:
    [first] = service.submit_documents("order", PLATFORM, [order], now=T0)
    [again] = service.submit_documents("order", PLATFORM, [order], now=T0)
    assert first.status == "accepted" and again.status == "duplicate" and again.id == first.id
    [clash] = service.submit_documents("order", PLATFORM, [msgspec.structs.replace(order, total=Decimal("1"))], now=T0)
    assert clash.status == "conflict" and clash.errors[0].pointer == "/order_number"


def test_amendment_is_a_new_version_and_is_assessed_again(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    short = msgspec.structs.replace(payment, amount=Decimal("20.00"))
    send_documents(service, order, short, waybill)
    wrong = msgspec.structs.replace(
        consignment,
        transaction=msgspec.structs.replace(consignment.transaction, amount_paid=Decimal("20.00")),
    )
    [result] = service.submit_consignments(COURIER, [wrong], now=T0)
    assert result.state is State.HELD
    cid = result.id or ""
    # The payment provider's record is what it is; the declarant corrects its declaration, and
    # the mismatch with the order total remains, so it stays held with a fresh decision.
    amended = service.amend(COURIER, cid, consignment, now=T0 + dt.timedelta(hours=2))
    assert amended.status == "accepted" and amended.version == 2
    dossier = dossier_of(service, cid, COURIER)
    assert [v["version"] for v in dossier.versions] == [1, 2]
    assert dossier.consignment.record == consignment
    assert [h["to_state"] for h in dossier.history][-3:] == ["received", "assessed", "held"]
    again = service.amend(COURIER, cid, consignment, now=T0 + dt.timedelta(hours=3))
    assert again.status == "duplicate" and again.version == 2


def test_amendment_rules(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send_documents(service, order, payment, waybill)
    [released] = service.submit_consignments(COURIER, [consignment], now=T0)
    changed = msgspec.structs.replace(consignment, destination_country="AT")
    with pytest.raises(Conflict, match="can no longer be amended"):
        service.amend(COURIER, released.id or "", changed, now=T0)
    with pytest.raises(InvalidRecord) as exc:
        service.amend(COURIER, released.id or "", msgspec.structs.replace(consignment, reference="OTHER"), now=T0)
    assert exc.value.errors[0].pointer == "/reference"
    with pytest.raises(NotFound):
        service.amend("op-courier-2", released.id or "", changed, now=T0)


def test_cancel(service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> None:
    [waiting] = service.submit_consignments(COURIER, [consignment], now=T0)
    with pytest.raises(NotFound):
        service.cancel("op-courier-2", waiting.id or "", "not yours", now=T0)
    service.cancel(COURIER, waiting.id or "", "order cancelled by the buyer", now=T0)
    dossier = dossier_of(service, waiting.id or "", COURIER)
    assert dossier.consignment.status.state is State.CANCELLED
    assert dossier.history[-1]["reason"] == "order cancelled by the buyer"
    with pytest.raises(Conflict):
        service.cancel(COURIER, waiting.id or "", "twice", now=T0)
    # Documents arriving later do not revive a cancelled declaration.
    send_documents(service, order, payment, waybill)
    dossier = dossier_of(service, waiting.id or "", COURIER)
    assert dossier.consignment.status.state is State.CANCELLED


def test_overdue_documents_become_a_request_for_information(
    service: Clearway, consignment: Consignment, order: Order
) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    service.submit_documents("order", PLATFORM, [order], now=T0)
    assert service.expire_overdue(now=T0 + dt.timedelta(hours=71)) == 0
    assert service.expire_overdue(now=T0 + dt.timedelta(hours=72)) == 1
    dossier = dossier_of(service, result.id or "", COURIER)
    assert dossier.consignment.status.state is State.HELD
    assert dossier.decision is not None
    assert {r.message for r in dossier.decision.reasons if r.code == "documents_missing"} == {
        "no payment received before the deadline",
        "no waybill received before the deadline",
    }
    assert service.expire_overdue(now=T0 + dt.timedelta(hours=100)) == 0


def test_other_operators_cannot_read(service: Clearway, consignment: Consignment) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert service.dossier("op-courier-2", result.id or "") is None
    assert service.dossier(COURIER, result.id or "") is not None
    assert service.dossier(COURIER, "0" * 32) is None


def test_stored_money_and_times_are_exact(service: Clearway, consignment: Consignment) -> None:
    precise = msgspec.structs.replace(
        consignment,
        transaction=msgspec.structs.replace(consignment.transaction, goods_value=Decimal("23.800001")),
    )
    [result] = service.submit_consignments(COURIER, [precise], now=T0)
    dossier = dossier_of(service, result.id or "", COURIER)
    assert dossier.consignment.record.transaction.goods_value == Decimal("23.800001")
    assert dossier.consignment.received_at == T0 and dossier.consignment.received_at.tzinfo is not None


def test_customs_control_path_to_seizure(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    short = msgspec.structs.replace(payment, amount=Decimal("20.00"))
    send_documents(service, order, short, waybill)
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    cid = result.id or ""
    assert result.state is State.HELD
    with pytest.raises(Conflict, match="from 'held' to 'seized'"):
        service.control(cid, State.SEIZED, actor="person:o-1", reason="too early", now=T0)
    service.control(cid, State.INSPECTED, actor="person:o-1", reason="x-ray and opened: counterfeit goods", now=T0)
    service.control(cid, State.SEIZED, actor="person:o-1", reason="counterfeit trademark goods", now=T0)
    dossier = dossier_of(service, cid, None)
    assert [h["to_state"] for h in dossier.history][-2:] == ["inspected", "seized"]
    assert dossier.history[-1]["actor"] == "person:o-1"
    with pytest.raises(Conflict):
        service.control(cid, State.RELEASED, actor="person:o-1", reason="final states are final", now=T0)
    with pytest.raises(Conflict, match="declarant"):
        service.control(cid, State.CANCELLED, actor="person:o-1", reason="not for customs", now=T0)


def test_customs_can_hold_a_waiting_consignment_for_inspection(
    service: Clearway, consignment: Consignment, order: Order, waybill: Waybill
) -> None:
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    cid = result.id or ""
    with pytest.raises(Conflict, match="hold reason"):
        service.control(cid, State.HELD, actor="person:o-2", reason="no reason given", now=T0)
    service.control(
        cid, State.HELD, actor="person:o-2", reason="intelligence", hold_reason=HoldReason.INSPECTION, now=T0
    )
    dossier = dossier_of(service, cid, None)
    assert dossier.consignment.status.hold_reason is HoldReason.INSPECTION
    assert dossier.consignment.status.deadline is None
    with pytest.raises(NotFound):
        service.control("0" * 32, State.RELEASED, actor="person:o-2", reason="x", now=T0)


def test_the_sweep_releases_a_complete_set_that_a_race_left_waiting(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    # Documents stored by another process while this declaration was being linked: simulate it
    # by writing them without re-linking, then let the deadline sweep find the complete set.
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    with service.engine.begin() as conn:
        SqlClearanceStore(conn).insert_documents(
            [
                StoredDocument(
                    id=new_id(),
                    kind=kind,  # type: ignore[arg-type]
                    operator_id=sender,
                    number=number,
                    body_hash=content_hash(canonical_json(record)),
                    received_at=T0,
                    record=record,
                    sender_kind=sender_kind,
                )
                for kind, number, record, sender, sender_kind in (
                    ("order", order.order_number, order, PLATFORM, "marketplace"),
                    ("payment", payment.payment_id, payment, PSP, "payment_provider"),
                    ("waybill", waybill.transport_document, waybill, CARRIER, "postal_operator"),
                )
            ]
        )
    assert service.expire_overdue(now=T0 + dt.timedelta(hours=73)) == 1
    dossier = dossier_of(service, result.id or "", COURIER)
    assert dossier.consignment.status.state is State.RELEASED


def test_a_batch_goes_through_every_named_stage(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """bench/bulk_pipeline.py prints these stages: each one a batch meets must be counted."""
    from clearway.clearance.stages import STAGES, since

    before = STAGES.snapshot()
    send_documents(service, order, payment, waybill)
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.state is State.RELEASED
    ran = since(before, STAGES.snapshot())
    declaration = ["accept", "link_view", "link", "risk", "revenue", "decide", "store", "record", "commit"]
    documents = ["documents_accept", "documents_store", "find_waiting"]
    assert set(declaration + documents) <= set(ran), sorted(ran)
    assert all(ran[name].records >= 1 and ran[name].seconds >= 0 for name in declaration)
    assert ran["commit"].batches == 4  # three documents' batches and the declaration's
