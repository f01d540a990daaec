"""China's messages through the application, against their canonical JSON twins: the same purchase
sent as CEB311/411/511/621 by their four senders and as JSON through the JSON path ends alike
(stored, linked, assessed, decided); the original is kept byte for byte; impersonation is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages import xml_safe
from clearway.store.privacy_sql import apply_retention
from tests.app.summary import summary
from tests.conftest import decode, empty, fixture_json, register_operators

CN = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "cn"
NOW = dt.datetime(2024, 6, 15, 3, 0, tzinfo=dt.UTC)
# The senders the messages name (tests/fixtures/messages/cn), by the kind that holds each document.
PLATFORM, PAYER, CARRIER, AGENT = "1105960001", "3101960003", "1105980004", "1105980005"
SENDERS = {PLATFORM: "marketplace", PAYER: "payment_provider", CARRIER: "courier", AGENT: "broker"}
SENT = [("CEB311Message.xml", PLATFORM), ("CEB411Message.xml", PAYER), ("CEB511Message.xml", CARRIER),
        ("CEB621Message.xml", AGENT)]  # fmt: skip


def _by_messages(service: Clearway) -> tuple[str, list[Any]]:
    received = [
        service.messages.receive("cn-ceb", sender, (CN / name).read_bytes(), "application/xml", now=NOW)
        for name, sender in SENT
    ]
    outcomes = [r.records for r in received]
    [[declaration]] = outcomes[-1:]
    assert declaration.status == "accepted" and declaration.id, declaration
    return declaration.id, outcomes


def _by_json(service: Clearway) -> str:
    for kind, cls, sender in (("order", Order, PLATFORM), ("payment", Payment, PAYER), ("waybill", Waybill, CARRIER)):
        [result] = service.submit_documents(
            kind, sender, [decode(cls, fixture_json(f"messages/cn/{kind}.json"))], now=NOW
        )
        assert result.status == "accepted", result
    [result] = service.submit_consignments(
        AGENT, [decode(Consignment, fixture_json("messages/cn/consignment.json"))], now=NOW
    )
    assert result.status == "accepted" and result.id, result
    return result.id


def test_the_messages_end_as_their_json_twins(service: Clearway, engine: sa.Engine) -> None:
    register_operators(service, SENDERS)
    consignment_id, outcomes = _by_messages(service)
    assert [[o.status for o in records] for records in outcomes] == [["accepted"]] * 4
    by_messages = summary(service, AGENT, consignment_id)
    empty(engine)
    register_operators(service, SENDERS)
    by_json = summary(service, AGENT, _by_json(service))
    assert by_messages == by_json
    # All three documents link from their own senders: the payment through the provider the order
    # names (the inventory list names none), and the declaration goes on to a decision.
    assert by_messages["documents"] == ["order", "payment", "waybill"], by_messages
    assert by_messages["link"] == ("linked", []) and by_messages["total"] is not None, by_messages


def test_the_original_is_kept_byte_for_byte_with_its_hash(service: Clearway) -> None:
    register_operators(service, SENDERS)
    data = (CN / "CEB311Message.gb18030.xml").read_bytes()
    received = service.messages.receive("cn-ceb", PLATFORM, data, "application/xml", now=NOW)
    kept = service.messages.read(received.id)
    assert kept is not None and kept.body == data and kept.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.records[0].status == "accepted" and kept.message_type == "CEB311"


def test_a_message_in_another_senders_name_is_refused_and_kept(service: Clearway) -> None:
    register_operators(service, {**SENDERS, "op-other-1": "marketplace"})
    data = (CN / "CEB311Message.xml").read_bytes()
    received = service.messages.receive("cn-ceb", "op-other-1", data, "application/xml", now=NOW)
    [outcome] = received.records
    assert outcome.status == "rejected" and outcome.id is None
    assert f"names '{PLATFORM}' as its sender" in outcome.errors[0].detail
    # Nothing was stored in the platform's name, and the attempt itself is kept for the record.
    assert service.submit_documents("order", PLATFORM, [decode(Order, fixture_json("messages/cn/order.json"))],
                                    now=NOW)[0].status == "accepted"  # fmt: skip
    assert service.messages.read(received.id) is not None


def test_a_batch_keeps_one_result_per_order_and_refuses_the_bad_one_alone(service: Clearway) -> None:
    register_operators(service, SENDERS)
    data = (CN / "CEB311Message.batch.xml").read_bytes()
    received = service.messages.receive("cn-ceb", PLATFORM, data, "application/xml", now=NOW)
    assert [o.status for o in received.records] == ["accepted", "rejected", "accepted"]
    bad = received.records[1]
    assert bad.errors and all(e.where.startswith("/") for e in bad.errors), bad.errors
    assert received.refused


@pytest.mark.parametrize("data", [b"<not-xml", b"<CEB999Message xmlns='http://www.chinaport.gov.cn/ceb'/>"])
def test_an_unreadable_message_is_kept_and_answered_with_where(service: Clearway, data: bytes) -> None:
    received = service.messages.receive("cn-ceb", PLATFORM, data, "application/xml", now=NOW)
    [outcome] = received.records
    assert outcome.status == "rejected" and outcome.errors[0].where
    assert service.messages.read(received.id) is not None


def test_each_declaration_is_answered_by_its_receipt_from_its_state_now(service: Clearway) -> None:
    """Message in -> decision -> the family's response out, parsed back and checked (CEB311 -> CEB312,
    CEB621 -> CEB622 whose status follows the consignment's state)."""
    register_operators(service, SENDERS)
    received = [
        service.messages.receive("cn-ceb", sender, (CN / name).read_bytes(), "application/xml", now=NOW)
        for name, sender in SENT
    ]
    [order_receipt] = service.messages.responses(received[0].id) or []
    root = xml_safe.parse(order_receipt.body)
    ns = {"c": "http://www.chinaport.gov.cn/ceb"}
    assert order_receipt.message_type == "CEB312"
    assert root.xpath("string(c:OrderReturn/c:returnStatus)", namespaces=ns) == "120"
    assert root.xpath("string(c:OrderReturn/c:orderNo)", namespaces=ns) == "SO20240615000123"
    [inventory_receipt] = service.messages.responses(received[3].id) or []
    declaration = received[3].records[0]
    state = service.dossier(None, declaration.id or "")
    assert state is not None
    expected = {"released": "800", "held": {"request_for_information": "300", "inspection": "500"}}
    status = state.consignment.status
    wanted = expected.get(status.state, "120")
    if isinstance(wanted, dict):
        wanted = wanted[str(status.hold_reason)]
    inventory = xml_safe.parse(inventory_receipt.body)
    assert inventory.xpath("string(c:InventoryReturn/c:returnStatus)", namespaces=ns) == wanted
    assert inventory.xpath("string(c:InventoryReturn/c:preNo)", namespaces=ns) == (declaration.id or "")[:18].upper()
    # Asking again for an unchanged outcome gives the same receipt, id included.
    assert (service.messages.responses(received[3].id) or [])[0].body == inventory_receipt.body
    # An officer's release changes the answer to 800 (放行).
    if status.state != "released":
        service.control(declaration.id or "", State.RELEASED, actor="person:officer", reason="checked", now=NOW)
    released = xml_safe.parse((service.messages.responses(received[3].id) or [])[0].body)
    assert released.xpath("string(c:InventoryReturn/c:returnStatus)", namespaces=ns) == "800"


def test_a_refused_block_is_answered_100_with_where(service: Clearway) -> None:
    register_operators(service, SENDERS)
    data = (CN / "CEB311Message.batch.xml").read_bytes()
    received = service.messages.receive("cn-ceb", PLATFORM, data, "application/xml", now=NOW)
    [receipt] = service.messages.responses(received.id) or []
    root = xml_safe.parse(receipt.body)
    ns = {"c": "http://www.chinaport.gov.cn/ceb"}
    assert root.xpath("c:OrderReturn/c:returnStatus/text()", namespaces=ns) == ["120", "100", "120"]
    assert "/" in root.xpath("string(c:OrderReturn[2]/c:returnInfo)", namespaces=ns)


def test_retention_clears_a_messages_bytes_with_its_records_and_keeps_its_hash(service: Clearway) -> None:
    register_operators(service, SENDERS)
    data = (CN / "CEB311Message.xml").read_bytes()
    received = service.messages.receive("cn-ceb", PLATFORM, data, "application/xml", now=NOW)
    with service.engine.begin() as conn:
        # The order is younger than the cut-off: kept, and the message's bytes with it.
        early = apply_retention(conn, now=NOW + dt.timedelta(days=10), older_than=dt.timedelta(days=30))
    assert early.messages == 0 and (service.messages.read(received.id) or _gone()).body == data
    with service.engine.begin() as conn:
        late = apply_retention(conn, now=NOW + dt.timedelta(days=400), older_than=dt.timedelta(days=365))
    kept = service.messages.read(received.id)
    assert late.orphans == 1 and late.messages == 1
    assert kept is not None and kept.body is None and kept.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.records[0].status == "accepted"


def _gone() -> Any:
    raise AssertionError("the message is gone")


def test_a_platform_declaring_its_own_order_cannot_vouch_for_the_payment_through_it(service: Clearway) -> None:
    """The payment counts from the provider the order names only when the order is someone else's: a
    platform that declares its own sale names the payment provider in the declaration or goes without."""
    register_operators(service, SENDERS)
    for kind, cls, sender in (("order", Order, PLATFORM), ("payment", Payment, PAYER), ("waybill", Waybill, CARRIER)):
        service.submit_documents(kind, sender, [decode(cls, fixture_json(f"messages/cn/{kind}.json"))], now=NOW)
    [own] = service.submit_consignments(
        PLATFORM, [decode(Consignment, fixture_json("messages/cn/consignment.json"))], now=NOW
    )
    dossier = service.dossier(PLATFORM, own.id or "")
    assert dossier is not None and "payment" not in dossier.documents, sorted(dossier.documents)
