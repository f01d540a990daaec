"""The officer's consignment page lists the standard messages the declaration and its documents came
in, with their hashes; the originals are linked only where the page shows personal data in full,
and opening one is audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.store.tables import audit_log
from tests.api.test_access_api import sign_in
from tests.conftest import register_operators

CN = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "cn"
PLATFORM, PAYER, CARRIER, AGENT = "1105960001", "3101960003", "1105980004", "1105980005"
SENT = [("CEB311Message.xml", PLATFORM), ("CEB411Message.xml", PAYER), ("CEB511Message.xml", CARRIER),
        ("CEB621Message.xml", AGENT)]  # fmt: skip


@pytest.fixture
def client(service: Clearway) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as c:
        yield c


def _received(service: Clearway) -> tuple[str, list[str]]:
    register_operators(
        service, {PLATFORM: "marketplace", PAYER: "payment_provider", CARRIER: "courier", AGENT: "broker"}
    )
    kept = [service.messages.receive("cn-ceb", s, (CN / n).read_bytes(), "application/xml") for n, s in SENT]
    return str(kept[-1].records[0].id), [k.id for k in kept]


def test_an_officer_sees_what_came_in_and_opens_an_original_audited(client: TestClient, service: Clearway) -> None:
    consignment, message_ids = _received(service)
    service.control(consignment, State.HELD, actor="person:x", reason="x-ray", hold_reason=HoldReason.INSPECTION)
    sign_in(client, service, "olga", Role.OFFICER)
    page = client.get(f"/consignments/{consignment}")
    assert page.status_code == 200
    assert "Received as standard messages" in page.text
    for kind, message_id in zip(("order", "payment", "waybill", "consignment"), message_ids, strict=True):
        assert f'href="/v1/messages/{message_id}/original"' in page.text, kind
    original = client.get(f"/v1/messages/{message_ids[-1]}/original")
    assert original.status_code == 200 and original.content == (CN / "CEB621Message.xml").read_bytes()
    with service.engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action)).scalars().all()
    assert "messages.original_read" in actions


def test_an_analyst_sees_the_hashes_but_no_original(client: TestClient, service: Clearway) -> None:
    consignment, message_ids = _received(service)
    sign_in(client, service, "anna", Role.ANALYST)
    page = client.get(f"/consignments/{consignment}")
    assert page.status_code == 200 and "Received as standard messages" in page.text
    assert "/original" not in page.text
    assert client.get(f"/v1/messages/{message_ids[0]}/original").status_code == 403
