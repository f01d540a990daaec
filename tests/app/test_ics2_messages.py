"""ICS2 house-level filings (IE3F22) through the application: each house is filed on the pre-loading
path exactly as its JSON twin, and answered in ICS2's terms (IE3R01, IE3N03, IE3Q01-03, IE3N99) from
the filing as it stands now. The carrier is told what to do, never which rule or list chose an item.

The sender of an IE3F22 is its declarant's EORI; the express operator is onboarded under it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from clearway.app.platform import Clearway
from clearway.dataset.decode import RecordDecoder
from clearway.messages.eu.answers import mrn
from clearway.risk.preloading import PlaciFiling, placi_errors
from clearway.risk.screening import WatchEntry
from tests.conftest import register_operators

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
IE3F22 = (EU / "ics2-IE3F22-2-houses.xml").read_bytes()
DECLARANT = "de123456789012345"
TWIN_FILER = "op-courier-twin"
DECODER = RecordDecoder(PlaciFiling, placi_errors)


@pytest.fixture(autouse=True)
def declarants(service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier", TWIN_FILER: "courier", "op-courier-2": "courier"})


def answers(service: Clearway, message_id: str) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for response in service.messages.responses(message_id) or []:
        root = etree.fromstring(response.body)
        assert root.tag == response.message_type and response.media_type == "application/xml"
        found.setdefault(response.message_type, []).append(root)
    return found


def houses(element: etree._Element) -> list[str]:
    return [str(e.text) for e in element.iter("documentNumber")]


def test_each_house_is_filed_as_its_json_twin_would_be(service: Clearway) -> None:
    received = service.messages.receive("eu-ics2", DECLARANT, IE3F22, "application/xml")
    assert [(r.status, r.kind, r.message_ref, r.state) for r in received.records] == [
        ("accepted", "preloading", "HAWB0001", "assessment_complete"),
        ("accepted", "preloading", "HAWB0002", "assessment_complete"),
    ]
    for record in received.records:
        twin, errors = DECODER.decode((EU / f"preloading-{record.message_ref}.json").read_bytes())
        assert errors == [] and twin is not None
        filed = service.preloading.read(DECLARANT, str(record.id))
        by_json = service.preloading.file(TWIN_FILER, twin)
        assert (filed["answer"], filed["status"], filed["reasons"]) == (
            by_json["answer"],
            by_json["status"],
            by_json["reasons"],
        )
        assert filed["transport_document"] == by_json["transport_document"] == record.message_ref


def test_registration_and_assessment_complete_round_trip(service: Clearway) -> None:
    received = service.messages.receive("eu-ics2", DECLARANT, IE3F22, "application/xml")
    found = answers(service, received.id)
    assert sorted(found) == ["IE3N03", "IE3R01"]
    (registration,) = found["IE3R01"]
    assert registration.findtext("LRN") == "LRN-2026-000001"
    reference = registration.findtext("MRN")
    assert reference is not None and len(reference) == 18
    assert reference == mrn(received.id, "DE", received.received_at)
    assert houses(registration) == ["HAWB0001", "HAWB0002"]
    (complete,) = found["IE3N03"]
    assert complete.findtext("MRN") == reference
    assert houses(complete.find("assessmentComplete")) == ["HAWB0001", "HAWB0002"]
    # One filing, one MRN: a house's own answers (the consignment view) carry the same one.
    for record in received.records:
        (only,) = [r for _, r in service.messages.responses_for(str(record.id), DECLARANT) or [] if
                   r.message_type == "IE3R01"]  # fmt: skip
        assert etree.fromstring(only.body).findtext("MRN") == reference
    # Asked again, the same answers: the same ids, not new notifications.
    assert [r.body for r in service.messages.responses(received.id) or []] == [
        r.body for r in service.messages.responses(received.id) or []
    ]


def test_a_referral_is_answered_per_house_and_then_completed(service: Clearway) -> None:
    vague = IE3F22.replace(b"Children's books, printed", b"gift")
    received = service.messages.receive("eu-ics2", DECLARANT, vague, "application/xml")
    assert [r.state for r in received.records] == ["assessment_complete", "request_for_information"]
    found = answers(service, received.id)
    assert sorted(found) == ["IE3N03", "IE3Q02", "IE3R01"]
    (request,) = found["IE3Q02"]
    details = request.find("referralRequestDetails")
    assert details is not None
    assert details.findtext("referralRequestReference") == received.records[1].id
    assert details.findtext("requestType") == "RFI" and details.findtext("responseDeadline")
    assert houses(details) == ["HAWB0002"]
    assert [e.text for e in details.iter("description")] == ["'gift' does not say what the goods are"]
    assert houses(found["IE3N03"][0]) == ["HAWB0001"]
    # The carrier answers with corrected data (JSON): the ICS2 answers follow the filing.
    twin, _ = DECODER.decode((EU / "preloading-HAWB0002.json").read_bytes())
    assert twin is not None
    service.preloading.answer_information(DECLARANT, str(received.records[1].id), twin)
    after = answers(service, received.id)
    assert sorted(after) == ["IE3N03", "IE3R01"]
    assert houses(after["IE3N03"][0]) == ["HAWB0001", "HAWB0002"]


def test_each_referral_has_its_own_message_id_and_the_mrn_does_not_move(service: Clearway) -> None:
    berlin = b"<address><city>Berlin</city><country>DE</country><street>Hauptstr.</street><number>5</number>"
    berlin += b"<postCode>10115</postCode></address>"
    assert berlin in IE3F22
    # House 1 without its consignee's address, house 2 with a vague description: both referred.
    both = IE3F22.replace(b"Children's books, printed", b"gift").replace(
        berlin, b"<address><country>DE</country></address>"
    )
    received = service.messages.receive("eu-ics2", DECLARANT, both, "application/xml")
    assert [r.state for r in received.records] == ["request_for_information"] * 2
    found = answers(service, received.id)
    ids = [e.findtext("messageIdentification") for roots in found.values() for e in roots]
    assert len(ids) == len(set(ids)) == 3  # IE3R01 and two IE3Q02
    before = found["IE3R01"][0].findtext("MRN")
    twin, _ = DECODER.decode((EU / "preloading-HAWB0002.json").read_bytes())
    assert twin is not None
    service.preloading.answer_information(DECLARANT, str(received.records[1].id), twin)
    assert answers(service, received.id)["IE3R01"][0].findtext("MRN") == before


def test_a_refiling_is_refused_alone_while_its_referral_is_open(service: Clearway) -> None:
    vague = IE3F22.replace(b"Children's books, printed", b"gift")
    service.messages.receive("eu-ics2", DECLARANT, vague, "application/xml")
    again = service.messages.receive("eu-ics2", DECLARANT, IE3F22, "application/xml")
    assert [r.status for r in again.records] == ["accepted", "conflict"]
    assert "open referral" in again.records[1].errors[0].detail
    assert again.records[1].errors[0].where == "/IE3F22/consignmentMasterLevel/consignmentHouseLevel[2]"


def test_the_carrier_is_not_told_which_rule_or_list_chose_an_item(service: Clearway) -> None:
    service.risk.import_watchlist(
        "SDN",
        "sanctions",
        [WatchEntry(list_name="SDN", entry_id="77", kind="party", value="SHOP LTD")],
        source="test",
        actor="test",
    )
    sprayed = IE3F22.replace(b"Children's books, printed", b"Pepper spray 40 ml")
    received = service.messages.receive("eu-ics2", DECLARANT, sprayed, "application/xml")
    assert [r.state for r in received.records] == ["do_not_load", "request_for_screening"]
    found = answers(service, received.id)
    assert houses(found["IE3Q01"][0].find("doNotLoadDetails")) == ["HAWB0001"]
    (screening,) = found["IE3Q03"]
    assert screening.findtext("referralRequestDetails/requestType") == "RFS"
    text = b"".join(r.body for r in service.messages.responses(received.id) or []).decode()
    rule = service.risk.step().rules
    for word in ("SDN", "sanctions", "party_on_sanctions_list", "prohibited_or_restricted_goods_described"):
        assert word not in text, word
    for described in rule:
        assert described.description not in text, described.name


def test_a_house_in_error_is_answered_ie3n99_with_where(service: Clearway) -> None:
    received = service.messages.receive(
        "eu-ics2", DECLARANT, (EU / "ics2-missing-element.xml").read_bytes(), "application/xml"
    )
    refused = [r for r in received.records if r.status == "rejected"]
    assert refused, received.records
    found = answers(service, received.id)
    (errors,) = found["IE3N99"]
    pointers = [e.findtext("errorPointer") for e in errors.iter("functionalError")]
    assert pointers == [e.where for r in refused for e in r.errors]
    assert all(p and p.startswith("/IE3F22/") for p in pointers)


def test_a_filing_in_another_declarants_name_is_refused(service: Clearway) -> None:
    received = service.messages.receive("eu-ics2", "op-courier-2", IE3F22, "application/xml")
    assert {r.status for r in received.records} == {"rejected"}
    assert "'DE123456789012345' as its sender" in received.records[0].errors[0].detail
    assert service.messages.responses(received.id) is not None
    assert "IE3R01" not in answers(service, received.id)
