"""Customs' reads and control steps: personal data by role, every officer's read audited."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store.tables import audit_log
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in

# Documents link only from the senders the fixture declaration names (clearance.senders).
pytestmark = pytest.mark.usefixtures("standard_operators")


def held_and_released(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> tuple[str, str]:
    """One consignment released at once, one held because its payment disagrees."""
    for kind, record, sender in (
        ("order", order, "op-platform-1"),
        ("payment", payment, "op-psp-1"),
        ("waybill", waybill, "op-post-1"),
    ):
        service.submit_documents(kind, sender, [record])  # type: ignore[arg-type]
    [released] = service.submit_consignments("op-courier-1", [consignment])
    other = msgspec.structs.replace(
        consignment,
        reference="MSG-HELD",
        transaction=msgspec.structs.replace(consignment.transaction, order_number="SW-2", payment_id="PAY-2"),
    )
    service.submit_documents("order", "op-platform-1", [msgspec.structs.replace(order, order_number="SW-2")])
    short = msgspec.structs.replace(payment, payment_id="PAY-2", order_number="SW-2", amount=Decimal("1.00"))
    service.submit_documents("payment", "op-psp-1", [short])
    [held] = service.submit_consignments("op-courier-1", [other])
    assert released.state == "released" and held.state == "held"
    return released.id or "", held.id or ""


def reads(service: Clearway) -> list[tuple[str, str]]:
    with service.engine.connect() as conn:
        query = sa.select(audit_log.c.actor, audit_log.c.subject).where(audit_log.c.action == "personal_data.read")
        return [(r.actor, r.subject) for r in conn.execute(query)]


def test_analysts_see_pseudonyms_not_names(
    client: TestClient, service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    _, held = held_and_released(service, consignment, order, payment, waybill)
    sign_in(client, service, "ana", Role.ANALYST)
    view = client.get(f"/v1/customs/consignments/{held}")
    assert view.status_code == 200
    text = view.text
    assert "Anna Schmidt" not in text and "anna@example.org" not in text and "Lindenstrasse" not in text
    buyer = view.json()["declaration"]["parties"]["buyer"]
    assert buyer["name"].startswith("psn:") and buyer["country"] == "DE"
    # The same buyer carries the same pseudonym on her order, so records still link.
    assert view.json()["documents"]["order"]["record"]["buyer"]["name"] == buyer["name"]
    assert reads(service) == []  # pseudonyms are not a read of personal data


def test_officers_see_their_work_in_full_and_the_read_is_audited(
    client: TestClient, service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    released, held = held_and_released(service, consignment, order, payment, waybill)
    sign_in(client, service, "olga", Role.OFFICER)
    full = client.get(f"/v1/customs/consignments/{held}").json()
    assert full["declaration"]["parties"]["buyer"]["name"] == "Anna Schmidt"
    assert reads(service) == [("person:olga", held)]
    # A consignment released without customs' intervention is not in an officer's work.
    outside = client.get(f"/v1/customs/consignments/{released}").json()
    assert outside["declaration"]["parties"]["buyer"]["name"].startswith("psn:")
    assert service.verify_audit().ok


def test_officers_work_a_held_consignment_to_release(
    client: TestClient, service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    _, held = held_and_released(service, consignment, order, payment, waybill)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    guard = {"X-CSRF-Token": csrf}
    step = {"target": "inspected", "reason": "opened: one silk blouse, two wool blouses, as declared"}
    assert client.post(f"/v1/customs/consignments/{held}/control", json=step).status_code == 403  # no CSRF token
    inspected = client.post(f"/v1/customs/consignments/{held}/control", json=step, headers=guard)
    assert inspected.status_code == 200 and inspected.json()["state"] == "inspected"
    wrong = client.post(
        f"/v1/customs/consignments/{held}/control", json={"target": "held", "reason": "x"}, headers=guard
    )
    assert wrong.status_code == 409
    released = client.post(
        f"/v1/customs/consignments/{held}/control", json={"target": "released", "reason": "compliant"}, headers=guard
    )
    assert released.json()["state"] == "released"
    assert released.json()["history"][-1]["actor"] == "person:olga"
    # Having acted on it, the officer still sees it in full after its release.
    assert released.json()["declaration"]["parties"]["buyer"]["name"] == "Anna Schmidt"
    after = client.get(f"/v1/customs/consignments/{held}").json()
    assert after["state"] == "released" and after["declaration"]["parties"]["buyer"]["name"] == "Anna Schmidt"


def test_roles_outside_customs_are_refused(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    created = client.post("/v1/consignments", content=json.dumps(consignment_data), headers=headers()).json()
    assert client.get(f"/v1/customs/consignments/{created['id']}", headers=headers()).status_code == 403
    sign_in(client, service, "stat", Role.STATISTICIAN)
    control = client.post(
        f"/v1/customs/consignments/{created['id']}/control", json={"target": "released", "reason": "x"}
    )
    assert control.status_code == 403
