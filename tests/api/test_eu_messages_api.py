"""POST /v1/messages/eu-h7: an express operator's H7 message over HTTP, one result per declaration."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from clearway.app.platform import Clearway
from tests.api.conftest import headers
from tests.api.documented import assert_documented
from tests.conftest import register_operators

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
DECLARANT = "de123456789012345"  # the declarant's EORI, as its operator id


def test_an_h7_message_is_accepted_declaration_by_declaration(client: TestClient, service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier"})
    data = (EU / "h7-cn-digits.xml").read_bytes()
    sent = client.post("/v1/messages/eu-h7", content=data, headers=headers(DECLARANT, "application/xml"))
    receipt = assert_documented(client, "POST", "/v1/messages/{ref}", sent)
    assert sent.status_code == 201
    first, second = receipt["records"]
    assert (first["status"], first["kind"], first["message_type"]) == ("accepted", "consignment", "H7")
    assert second["status"] == "rejected"
    assert second["errors"][0]["pointer"] == "/items/0/hs_code"
    assert second["errors"][0]["where"].endswith("/commodityCode/harmonizedSystemSubHeadingCode")


def test_an_ics2_filing_is_answered_in_ics2_terms(client: TestClient, service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier", "op-courier-2": "courier"})
    data = (EU / "ics2-IE3F22-2-houses.xml").read_bytes()
    sent = client.post("/v1/messages/eu-ics2", content=data, headers=headers(DECLARANT, "application/xml"))
    receipt = assert_documented(client, "POST", "/v1/messages/{ref}", sent)
    assert [(r["kind"], r["state"]) for r in receipt["records"]] == [("preloading", "assessment_complete")] * 2
    answered = client.get(f"/v1/messages/{receipt['id']}/responses", headers=headers(DECLARANT))
    body = assert_documented(client, "GET", "/v1/messages/{ref}/responses", answered)
    assert [(r["message_id"], r["message_type"]) for r in body["items"]] == [
        (receipt["id"], "IE3R01"),
        (receipt["id"], "IE3N03"),
    ]
    # Another declarant's filing is not there for the caller.
    other = client.get(f"/v1/messages/{receipt['id']}/responses", headers=headers("op-courier-2"))
    assert other.status_code == 404


def test_a_consignments_answers_come_to_its_declarant_alone(client: TestClient, service: Clearway) -> None:
    register_operators(service, {DECLARANT: "courier", "op-courier-2": "courier"})
    data = (EU / "h7-2-declarations.xml").read_bytes()
    sent = client.post("/v1/messages/eu-h7", content=data, headers=headers(DECLARANT, "application/xml"))
    consignment = sent.json()["records"][0]["id"]
    path = f"/v1/consignments/{consignment}/responses"
    answered = client.get(path, headers=headers(DECLARANT))
    body = assert_documented(client, "GET", "/v1/consignments/{consignment_id}/responses", answered)
    # That declaration's answers alone: its acceptance (the other declaration's are not listed).
    assert [(r["message_id"], r["message_type"]) for r in body["items"]] == [(sent.json()["id"], "IE428")]
    assert "LRN2026000000000001" in body["items"][0]["body"] and "LRN2026000000000002" not in body["items"][0]["body"]
    assert client.get(path, headers=headers("op-courier-2")).status_code == 404
    assert client.get("/v1/consignments/" + "0" * 32 + "/responses", headers=headers(DECLARANT)).status_code == 404
