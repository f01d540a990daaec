"""The audit chain holds codes, ids, hashes and pseudonyms, never names or free text (issue 22).

A realistic day goes through the HTTP API and the pages' forms: an administrator onboards operators
and people and trusts a seller who is a private person; operators send documents, declarations, a
cancellation and a pre-loading filing; an analyst changes and retires rules; an officer inspects,
records what the inspection found and seizes, each time writing names into the reasons. Then every
entry of the chain is read back.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.privacy.pseudonymise import pseudonym
from clearway.store.tables import audit_log
from tests.conftest import fixture_json

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "a long enough phrase for tests"
# What people typed: each names somebody. None of it, and none of these names, may reach the chain.
RULE_REASON = "after a tip from Peter Miller about Anna Schmidt's parcels"
RETIRE_REASON = "Peter Miller says this rule is noisy"
INSPECT_REASON = "Peter Miller, Anna Schmidt's neighbour, called about this parcel"
OUTCOME_NOTE = "Anna Schmidt admitted that Peter Miller wrote the invoice"
SEIZE_REASON = "seized after talking to Peter Miller"
CANCEL_REASON = "Anna Schmidt changed her mind"
NAMES = ("anna", "schmidt", "peter", "miller", "maria", "rossi", "petrova", "lindenstrasse", "berlin", "invoice")


class People:
    """One browser (cookie jar) per person, each signed in through the login form."""

    def __init__(self, service: Clearway) -> None:
        self.app = create_app(service.settings, service, sweep=False)
        self.clients: list[TestClient] = []

    def sign_in(self, username: str) -> tuple[TestClient, dict[str, str]]:
        client = TestClient(self.app, base_url="https://testserver")
        client.__enter__()
        self.clients.append(client)
        form = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        done = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1)}, follow_redirects=False
        )
        assert done.status_code == 303, done.text
        session = self.app.state.clearway.access.session(client.cookies["cw_session"])
        assert session is not None
        return client, {"X-CSRF-Token": session[1]}

    def close(self) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)


@pytest.fixture
def people(service: Clearway) -> Iterator[People]:
    found = People(service)
    yield found
    found.close()


def ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json() if answer.content else None


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def a_day_at_customs(service: Clearway, people: People, consignment_data: dict[str, Any]) -> str:
    """The flow of the module docstring; returns the id of the consignment the officer seized."""
    service.access.create_person(
        username="ada", display_name="Ada Lovelace", role=Role.ADMIN, password=PASSWORD, actor="cli:root"
    )
    admin, guard = people.sign_in("ada")
    keys: dict[str, str] = {}
    for operator, kind in (
        ("op-courier-1", "courier"),
        ("op-platform-1", "marketplace"),
        ("op-psp-1", "payment_provider"),
    ):
        body = {
            "id": operator,
            "name": f"Firm {operator}",
            "kind": kind,
            "country": "DE",
            "contact_email": "it@firm.example",
        }
        ok(admin.post("/v1/admin/operators", json=body, headers=guard))
        keys[operator] = ok(admin.post(f"/v1/admin/operators/{operator}/keys", json={}, headers=guard))["api_key"]
    for username, name, role in (("olga", "Olga Petrova", "officer"), ("rita", "Rita Rossi-Petrova", "analyst")):
        person = {"username": username, "display_name": name, "role": role, "password": PASSWORD}
        ok(admin.post("/v1/admin/people", json=person, headers=guard))
    # A marketplace seller who is a private person, trusted by name.
    ok(admin.put("/v1/admin/trust", json={"party": "seller", "key": "Maria Rossi", "tier": "trusted"}, headers=guard))

    operator = TestClient(people.app, base_url="https://testserver")

    def send(path: str, body: Any, who: str) -> Any:
        return ok(operator.post(path, json=body, headers={"Authorization": f"Bearer {keys[who]}"}))

    payment = fixture_json("payment.json") | {"payer": {"name": "Peter Miller", "country": "DE"}}
    send("/v1/orders", fixture_json("order.json"), "op-platform-1")
    send("/v1/payments", payment, "op-psp-1")
    send("/v1/waybills", fixture_json("waybill.json"), "op-courier-1")
    data = copy.deepcopy(consignment_data)
    data["parties"]["platform"]["operator_id"] = "op-platform-1"
    data["parties"]["payment_provider"] = {"name": "ShopWorld Pay", "country": "IE", "operator_id": "op-psp-1"}
    held = send("/v1/consignments", data, "op-courier-1")["id"]
    other = send("/v1/consignments", consignment_data | {"reference": "MSG-0002"}, "op-courier-1")["id"]
    send(f"/v1/consignments/{other}/cancellation", {"reason": CANCEL_REASON}, "op-courier-1")
    filing = {
        "reference": "PLACI-1",
        "transport_document": "HAWB0001",
        "master_waybill": "176-12345675",
        "consignor": {"name": "Maria Rossi", "country": "CN"},
        "consignee": {"name": "Anna Schmidt", "country": "DE"},
        "goods_description": "gift",
        "packages": 1,
        "gross_weight_kg": "0.45",
        "destination_country": "DE",
    }
    send("/v1/preloading", filing, "op-courier-1")

    analyst, guard = people.sign_in("rita")
    [rule] = [r for r in ok(analyst.get("/v1/risk/rules"))["rules"] if r["name"] == "declared_value_zero_or_one"]
    changed = {k: rule[k] for k in ("description", "jurisdictions", "valid_from", "when", "legal_basis", "outcome")}
    change = {"rule": changed | {"weight": 50}, "reason": RULE_REASON}
    ok(analyst.put("/v1/risk/rules/declared_value_zero_or_one", json=change, headers=guard))
    retire = {"reason": RETIRE_REASON}
    ok(analyst.post("/v1/risk/rules/vague_goods_description/retirement", json=retire, headers=guard))

    officer, guard = people.sign_in("olga")
    assert ok(officer.get(f"/v1/customs/consignments/{held}"))["state"] == "held"
    step = {"target": "inspected", "reason": INSPECT_REASON}
    ok(officer.post(f"/v1/customs/consignments/{held}/control", json=step, headers=guard))
    found = {"outcome": "undervalued", "corrected_value": "40.00", "note": OUTCOME_NOTE}
    ok(officer.post(f"/v1/customs/consignments/{held}/outcome", json=found, headers=guard))
    # The page's form takes the same reasons, for the seizure.
    form = {"csrf": guard["X-CSRF-Token"], "action": "seize", "reason": SEIZE_REASON}
    assert officer.post(f"/consignments/{held}/action", data=form, follow_redirects=False).status_code == 303
    assert ok(officer.get(f"/v1/customs/consignments/{held}"))["state"] == "seized"
    operator.close()
    return str(held)


def test_the_audit_chain_holds_no_names_nor_free_text(
    service: Clearway, people: People, consignment_data: dict[str, Any]
) -> None:
    seized = a_day_at_customs(service, people, consignment_data)
    with service.engine.connect() as conn:
        entries = list(conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).mappings())
    actions = {e["action"] for e in entries}
    assert {"risk.trust_tier", "risk.rule_changed", "risk.rule_retired", "risk.outcome", "person.created"} <= actions
    assert {"consignment.state", "consignment.decision", "preloading.filed", "personal_data.read"} <= actions
    for entry in entries:
        detail = json.loads(entry["detail"]) if isinstance(entry["detail"], str) else entry["detail"]
        text = json.dumps([entry["actor"], entry["subject"], detail]).lower()
        assert not [name for name in NAMES if name in text], entry
        # Codes, ids, hashes and pseudonyms have no spaces; sentences do.
        assert not [s for s in strings(detail) if re.search(r"\s", s)], entry
    by_action = {e["action"]: e for e in entries}
    # The trusted seller appears as her keyed pseudonym, the one analysts' exports show.
    assert by_action["risk.trust_tier"]["subject"] == f"seller:{pseudonym('maria rossi', service.access.pseudonym_key)}"
    # The analyst's and the officer's words are bound by their hashes, kept where they belong.
    digest = hashlib.sha256(RULE_REASON.encode()).hexdigest()
    assert json.loads(by_action["risk.rule_changed"]["detail"])["reason_sha256"] == digest
    outcome = json.loads(by_action["risk.outcome"]["detail"])
    assert outcome == {
        "outcome": "undervalued",
        "version": 1,
        "note_sha256": hashlib.sha256(OUTCOME_NOTE.encode()).hexdigest(),
    }
    assert by_action["risk.outcome"]["subject"] == seized
    assert service.verify_audit().ok
