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
