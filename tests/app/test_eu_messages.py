"""EU H7 declarations through the application: each declaration becomes a consignment like its JSON
twin, and a declaration naming another declarant as its sender is refused.

The sender of an H7 is its declarant's EORI; Clearway compares it with the caller's operator id in
lower case, so the express operator here is onboarded under its EORI (docs/messages.md, "Sender")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from tests.app.summary import summary
from tests.conftest import decode, empty, fixture_json, register_operators

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
H7 = (EU / "h7-2-declarations.xml").read_bytes()
DECLARANT = "de123456789012345"
NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=4)


@pytest.fixture
def declarants(service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier", "op-courier-2": "courier"})


@pytest.mark.usefixtures("declarants")
def test_each_declaration_is_accepted_as_a_consignment(service: Clearway) -> None:
    received = service.messages.receive("eu-h7", DECLARANT, H7, "application/xml")
    assert [(r.status, r.message_ref, r.reference) for r in received.records] == [
        ("accepted", "LRN2026000000000001", "LRN2026000000000001"),
        ("accepted", "LRN2026000000000002", "LRN2026000000000002"),
    ]


@pytest.mark.usefixtures("declarants")
def test_a_declaration_in_another_declarants_name_is_refused(service: Clearway) -> None:
    received = service.messages.receive("eu-h7", "op-courier-2", H7, "text/xml")
    assert {r.status for r in received.records} == {"rejected"}
    assert "'DE123456789012345' as its sender" in received.records[0].errors[0].detail


def test_each_declaration_ends_as_its_json_twin(service: Clearway, engine: sa.Engine) -> None:
    """Stored, linked, assessed and decided alike: the whole pipeline, not only the mapping."""
    register_operators(service, {DECLARANT: "courier"})
    received = service.messages.receive("eu-h7", DECLARANT, H7, "application/xml", now=NOW)
    # Without its documents a declaration waits for them; past the wait it is held for them (decided).
    service.expire_overdue(now=LATER)
    by_messages = {str(r.reference): summary(service, DECLARANT, str(r.id)) for r in received.records}
    empty(engine)
    register_operators(service, {DECLARANT: "courier"})
    twins = [decode(Consignment, fixture_json(f"messages/eu/consignment-{lrn}.json")) for lrn in by_messages]
    results = service.submit_consignments(DECLARANT, twins, now=NOW)
    service.expire_overdue(now=LATER)
    by_json = {str(r.reference): summary(service, DECLARANT, str(r.id)) for r in results}
    assert by_messages == by_json and len(by_json) == 2
    assert all(s["total"] is not None and s["decision"] is not None for s in by_json.values()), by_json


def test_each_declaration_is_answered_in_idms_h7_terms_as_it_moves(service: Clearway) -> None:
    """Message in, decision, answer out, read back: IE428 on acceptance, IE429 once released."""
    register_operators(service, {DECLARANT: "courier"})
    received = service.messages.receive("eu-h7", DECLARANT, H7, "application/xml", now=NOW)
    first = str(received.records[0].id)

    def answered() -> list[tuple[str, str | None]]:
        return [
            (a.message_type, etree.fromstring(a.body).findtext("LRN"))
            for a in service.messages.responses(received.id) or []
        ]

    assert answered() == [("IE428", "LRN2026000000000001"), ("IE428", "LRN2026000000000002")]
    service.expire_overdue(now=LATER)  # no documents came: held for them; still only accepted
    assert answered() == [("IE428", "LRN2026000000000001"), ("IE428", "LRN2026000000000002")]
    service.control(first, State.RELEASED, actor="person:officer", reason="checked", now=LATER)
    assert answered() == [("IE428", "LRN2026000000000001"), ("IE429", "LRN2026000000000001"),
                          ("IE428", "LRN2026000000000002")]  # fmt: skip


def test_a_rejected_declaration_is_answered_ie906_with_where(service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier"})
    received = service.messages.receive("eu-h7", DECLARANT, (EU / "h7-cn-digits.xml").read_bytes(), "text/xml")
    kinds = [a.message_type for a in service.messages.responses(received.id) or []]
    assert kinds == ["IE428", "IE906"]
    rejected = etree.fromstring((service.messages.responses(received.id) or [])[1].body)
    assert rejected.findtext("functionalError/canonicalPointer") == "/items/0/hs_code"
    assert str(rejected.findtext("functionalError/errorPointer")).endswith("harmonizedSystemSubHeadingCode")
