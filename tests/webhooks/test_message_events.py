"""``message.response_ready``: a sender that subscribed is told, signed, when the answers to a message
it sent are ready to fetch; a sender that did not, and a family without answers, are told nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.decode import RecordDecoder
from clearway.messages import registry
from clearway.risk.preloading import PlaciFiling, placi_errors
from clearway.store.message_repo import ANSWERED_STANDARDS
from clearway.store.webhook_tables import webhook_events
from tests.conftest import register_operators
from tests.webhooks.conftest import Clock, Receiver, deliver_all, subscribe

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
UPU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "upu"
DECLARANT = "de123456789012345"


def test_the_sender_is_told_its_answers_are_ready(service: Clearway, receiver: Receiver, clock: Clock) -> None:
    register_operators(service, {DECLARANT: "courier"})
    _, secret = subscribe(service, receiver.url, ("message.response_ready",), operator=DECLARANT)
    received = service.messages.receive(
        "eu-ics2", DECLARANT, (EU / "ics2-IE3F22-2-houses.xml").read_bytes(), "application/xml"
    )
    assert deliver_all(service, clock, service.webhooks.deliverer()) == 1
    (event,) = [r.verify(secret) for r in receiver.requests]
    assert event["type"] == "message.response_ready"
    assert event["data"] == {
        "id": received.id,
        "standard": "eu-ics2",
        "responses": f"/v1/messages/{received.id}/responses",
    }
    # The answers it points to are there.
    assert [r.message_type for r in service.messages.responses(received.id) or []] == ["IE3R01", "IE3N03"]


def test_nothing_is_told_without_the_subscription(service: Clearway, receiver: Receiver, clock: Clock) -> None:
    register_operators(service, {DECLARANT: "courier"})
    first, _ = subscribe(service, receiver.url, ("consignment.decided",), operator=DECLARANT)
    service.messages.receive("eu-ics2", DECLARANT, (EU / "ics2-IE3F22-2-houses.xml").read_bytes(), "text/xml")
    with service.engine.connect() as conn:
        told = conn.execute(sa.select(webhook_events.c.type)).scalars().all()
    assert "message.response_ready" not in told
    # Subscribed now, the next message is told: the subscription, not the family, made the difference.
    service.webhooks.delete(DECLARANT, first)
    subscribe(service, receiver.url, ("message.response_ready",), operator=DECLARANT)
    service.messages.receive("eu-h7", DECLARANT, (EU / "h7-2-declarations.xml").read_bytes(), "text/xml")
    deliver_all(service, clock, service.webhooks.deliverer())
    assert [r.event["type"] for r in receiver.requests] == ["message.response_ready"]


def test_the_sender_is_told_again_when_a_referral_is_answered(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    register_operators(service, {DECLARANT: "courier"})
    _, secret = subscribe(service, receiver.url, ("message.response_ready",), operator=DECLARANT)
    vague = (EU / "ics2-IE3F22-2-houses.xml").read_bytes().replace(b"Children's books, printed", b"gift")
    received = service.messages.receive("eu-ics2", DECLARANT, vague, "application/xml")
    referral = received.records[1]
    assert referral.state == "request_for_information"
    twin, errors = RecordDecoder(PlaciFiling, placi_errors).decode((EU / "preloading-HAWB0002.json").read_bytes())
    assert twin is not None, errors
    service.preloading.answer_information(DECLARANT, str(referral.id), twin)
    assert deliver_all(service, clock, service.webhooks.deliverer()) == 2
    told = [r.verify(secret) for r in receiver.requests]
    assert [(e["type"], e["data"]["id"]) for e in told] == [("message.response_ready", received.id)] * 2


def test_the_sender_is_told_again_when_a_declaration_it_sent_changes_state(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    register_operators(service, {"op-post-fr": "postal_operator"})
    itmatt = (UPU / "itmatt-2-items.xml").read_bytes().replace(b">FRA<", b">op-post-fr<")
    _, secret = subscribe(service, receiver.url, ("message.response_ready",), operator="op-post-fr")
    received = service.messages.receive("upu-itmatt", "op-post-fr", itmatt, "application/xml")
    first = str(received.records[0].id)
    service.control(first, State.HELD, actor="person:o", reason="x-ray", hold_reason=HoldReason.INSPECTION)
    assert deliver_all(service, clock, service.webhooks.deliverer()) == 2
    told = [r.verify(secret) for r in receiver.requests]
    assert [(e["type"], e["data"]["id"]) for e in told] == [("message.response_ready", received.id)] * 2
    # The answer it points to has changed: the held item's CUSRSP now says 30.
    answers = service.messages.responses(received.id) or []
    assert "GIS+30:CWRSP:ZZZ" in answers[0].text


def test_the_store_and_the_registry_agree_on_who_answers() -> None:
    assert set(ANSWERED_STANDARDS) == registry.answering()
