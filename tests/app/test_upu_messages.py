"""UPU messages through the application: a post's ITMATT and CUSITM items become consignments like
their JSON twins, and a message naming another post as its sender is refused.

The fixtures name the posts by UPU-style codes (FRA, DEA); Clearway's operator ids are lower-case,
so the messages here name the posts by their operator ids (docs/messages.md, "Sender")."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearway.app.platform import Clearway
from tests.conftest import register_operators

UPU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "upu"
ITMATT = (UPU / "itmatt-2-items.xml").read_bytes().replace(b">FRA<", b">op-post-fr<")
CUSITM = (UPU / "cusitm-2-messages.edi").read_bytes().replace(b"+DEA+", b"+op-post-de+")


@pytest.fixture
def posts(service: Clearway) -> None:
    # The French post writes the ITMATT; the German post sends the CUSITM to its customs.
    register_operators(service, {"op-post-fr": "postal_operator", "op-post-de": "postal_operator"})


@pytest.mark.usefixtures("posts")
@pytest.mark.parametrize(
    ("standard", "data", "operator", "media_type"),
    [
        ("upu-itmatt", ITMATT, "op-post-fr", "application/xml"),
        ("upu-cusitm", CUSITM, "op-post-de", "application/edifact"),
    ],
)
def test_each_item_is_accepted_as_a_consignment(
    service: Clearway, standard: str, data: bytes, operator: str, media_type: str
) -> None:
    received = service.messages.receive(standard, operator, data, media_type)
    assert [(r.status, r.message_ref, r.reference) for r in received.records] == [
        ("accepted", "RR473124829FR", "RR473124829FR"),
        ("accepted", "LX202501115FR", "LX202501115FR"),
    ]


@pytest.mark.usefixtures("posts")
def test_a_message_in_another_posts_name_is_refused(service: Clearway) -> None:
    received = service.messages.receive("upu-itmatt", "op-post-de", ITMATT, "text/xml")
    assert {r.status for r in received.records} == {"rejected"}
    assert "'op-post-fr' as its sender" in received.records[0].errors[0].detail
