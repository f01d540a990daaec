"""EU H7 declarations through the application: each declaration becomes a consignment like its JSON
twin, and a declaration naming another declarant as its sender is refused.

The sender of an H7 is its declarant's EORI; Clearway compares it with the caller's operator id in
lower case, so the express operator here is onboarded under its EORI (docs/messages.md, "Sender")."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearway.app.platform import Clearway
from tests.conftest import register_operators

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
H7 = (EU / "h7-2-declarations.xml").read_bytes()
DECLARANT = "de123456789012345"


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
