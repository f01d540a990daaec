"""What an operator sees of its own consignments (issue 22): what it must do, never how customs
targeted it, and no other operator's data.

Every test goes through the HTTP API as the operators and people would: documents and declarations
submitted with API keys, a targeting rule added by an analyst, customs' reads by an officer.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from tests.api.conftest import Keyring, headers
from tests.api.test_access_api import sign_in
from tests.conftest import fixture_json, register_operators

DECLARANT = "op-courier-1"
PLATFORM = "op-platform-1"
PSP = "op-psp-1"
# A rule an analyst might keep: its name and description are exactly what a declarant must not learn.
RULE = "cn_blouse_profile_2026"
RULE_TEXT = "Blouses from Chinese sellers are examined this quarter."
# Fields of customs' targeting that an operator's answer must never carry, at any depth.
TARGETING = frozenset(
    {"risk", "decision", "lane", "score", "risk_score", "rule_hits", "rule_versions", "random_inspection", "model"}
)


def keys(value: Any) -> set[str]:
    """Every key of a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def untargeted(text: str) -> bool:
    """No targeting field, and neither the rule's name nor its description, in an answer."""
    return not keys(json.loads(text)) & TARGETING and RULE not in text and RULE_TEXT not in text


def enrol(service: Clearway, keyring: Keyring, operator: str, kind: str) -> None:
    """An operator of a given kind, onboarded unless it is already, with an API key of its own."""
    if operator not in {row["id"] for row in service.access.operators()}:
        register_operators(service, {operator: kind})
    issued, _ = service.access.issue_key(operator, actor="test:setup")
    keyring.keys[operator] = issued.plaintext


def post(client: TestClient, path: str, body: Any, operator: str) -> Any:
    answer = client.post(path, content=json.dumps(body).encode(), headers=headers(operator))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def declaration(consignment_data: dict[str, Any], reference: str = "MSG-0001") -> dict[str, Any]:
    """The fixture declaration naming the platform and payment provider that send its documents."""
    data = copy.deepcopy(consignment_data)
    data["reference"] = reference
    data["parties"]["platform"]["operator_id"] = PLATFORM
    data["parties"]["payment_provider"] = {"name": "ShopWorld Pay", "country": "IE", "operator_id": PSP}
    return data


def add_targeting_rule(service: Clearway) -> None:
    rule = {
        "name": RULE,
        "description": RULE_TEXT,
        "jurisdictions": ["*"],
        "valid_from": "2024-01-01",
        "weight": 80,
        "outcome": {"lane": "red", "action": "inspection"},
        "legal_basis": "Regulation (EU) No 952/2013 (UCC), Art. 46",
        "when": {"field": "seller_country", "eq": "CN"},
    }
    service.risk.change_rule(rule, actor="person:rita", reason="profile for the quarter")


def targeted_consignment(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> str:
    """A declaration held for examination by a rule, whose payment (another operator's) names a payer
    who is not the buyer; the declarant sent the waybill itself."""
    enrol(service, keyring, PLATFORM, "marketplace")
    enrol(service, keyring, PSP, "payment_provider")
    add_targeting_rule(service)
    payment = fixture_json("payment.json")
    payment["payer"] = {"name": "Maria Rossi", "country": "IT", "account": "IT60X0542811101000000123456"}
    post(client, "/v1/orders", fixture_json("order.json"), PLATFORM)
    post(client, "/v1/payments", payment, PSP)
    post(client, "/v1/waybills", fixture_json("waybill.json"), DECLARANT)
    created = post(client, "/v1/consignments", declaration(consignment_data), DECLARANT)
    return str(created["id"])


def test_an_operator_sees_what_to_do_not_how_it_was_targeted(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    cid = targeted_consignment(client, service, keyring, consignment_data)
    answer = client.get(f"/v1/consignments/{cid}", headers=headers(DECLARANT))
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert (view["state"], view["hold_reason"]) == ("held", "inspection")
    assert untargeted(answer.text)
    requested = {r["code"]: r for r in view["requested"]}
    assert requested["present_goods"]["message"] == "goods held for examination: present them to customs"
    assert requested["correct_declaration"]["documents"] == ["payment"]
    # Revenue is not targeting: the duties and taxes stay, every line explained.
    assert view["assessment"]["total"] and view["assessment"]["lines"]
    assert "duties_and_taxes_due" in requested
    # The history in fixed words: no decision summary, no officer's or engine's reason text.
    assert [(h["by"], h["note"]) for h in view["history"]][:1] == [("you", "declaration received")]
    assert view["history"][-1] == {
        "at": view["history"][-1]["at"],
        "by": "customs",
        "from_state": "assessed",
        "to_state": "held",
        "hold_reason": "inspection",
        "note": "held for examination",
    }
    # Customs still sees how it was targeted (its view is unchanged).
    sign_in(client, service, "olga", Role.OFFICER)
    customs = client.get(f"/v1/customs/consignments/{cid}").json()
    assert RULE in customs["risk"]["rule_hits"] and customs["lane"] == "red"


def test_the_list_shows_no_lane(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    targeted_consignment(client, service, keyring, consignment_data)
    page = client.get("/v1/consignments", headers=headers(DECLARANT))
    assert page.status_code == 200
    [item] = page.json()["items"]
    assert item["state"] == "held" and untargeted(page.text)


def test_a_random_selection_is_not_revealed(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    # Every consignment that would go green is drawn for a random inspection.
    service.settings = dataclasses.replace(service.settings, risk_exploration_rate=1.0)
    service.risk.settings = service.settings
    service.risk.reload()
    for kind, record in (("order", "order.json"), ("payment", "payment.json"), ("waybill", "waybill.json")):
        post(client, f"/v1/{kind}s", fixture_json(record), DECLARANT)
    created = post(client, "/v1/consignments", consignment_data, DECLARANT)
    assert service.risk.result(created["id"])["random_inspection"] is True
    answer = client.get(f"/v1/consignments/{created['id']}", headers=headers(DECLARANT))
    assert answer.json()["hold_reason"] == "inspection"
    assert "random" not in answer.text.lower() and untargeted(answer.text)
    assert answer.json()["requested"][0]["code"] == "present_goods"


def test_another_operators_documents_show_only_their_number(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    cid = targeted_consignment(client, service, keyring, consignment_data)
    answer = client.get(f"/v1/consignments/{cid}", headers=headers(DECLARANT))
    documents = answer.json()["documents"]
    assert documents["order"] == {"number": "SW-100200300", "status": "linked", "sent_by_you": False}
    assert documents["payment"] == {"number": "PAY-778899", "status": "linked", "sent_by_you": False}
    # Its own waybill it sees in full.
    assert documents["waybill"]["sent_by_you"] is True
    assert documents["waybill"]["record"]["consignee"]["name"] == "Anna Schmidt"
    # The payment's disagreement is the declarant's to fix, but the payer is the provider's data.
    [mismatch] = [r for r in answer.json()["link"]["reasons"] if r["code"] == "payer_not_buyer"]
    assert "not the buyer" in mismatch["message"] and "Maria Rossi" not in mismatch["message"]
    assert "Maria Rossi" not in answer.text and "IT60X0542811101000000123456" not in answer.text


def test_cancelling_answers_with_the_operators_view(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    created = post(client, "/v1/consignments", consignment_data, DECLARANT)
    cancelled = client.post(
        f"/v1/consignments/{created['id']}/cancellation",
        json={"reason": "the buyer changed her mind"},
        headers=headers(DECLARANT),
    )
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["state"] == "cancelled" and untargeted(cancelled.text)
    assert body["history"][-1]["note"] == "cancelled: the buyer changed her mind"
    assert body["history"][-1]["by"] == "you" and body["requested"] == []


def test_an_operator_waiting_for_documents_is_told_which(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    created = post(client, "/v1/consignments", consignment_data, DECLARANT)
    view = client.get(f"/v1/consignments/{created['id']}", headers=headers(DECLARANT)).json()
    [asked] = view["requested"]
    assert asked["code"] == "provide_documents" and asked["documents"] == ["order", "payment", "waybill"]
    assert asked["due_at"] == view["deadline"]


def test_the_rule_catalogue_and_the_model_are_not_for_operators(client: TestClient, service: Clearway) -> None:
    for path in (
        "/v1/risk/rules",
        "/v1/risk/rules/declared_value_zero_or_one",
        "/v1/risk/model",
        "/v1/risk/model/drift",
    ):
        assert client.get(path, headers=headers(DECLARANT)).status_code == 403, path


def test_an_operators_quality_report_is_its_own_data_quality_only(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    targeted_consignment(client, service, keyring, consignment_data)
    other = declaration(consignment_data, "MSG-OTHER")
    post(client, "/v1/consignments", other, "op-courier-2")
    report = client.get("/v1/risk/quality", headers=headers(DECLARANT))
    assert report.status_code == 200
    rows = report.json()["rows"]
    assert rows and {r["operator_id"] for r in rows} == {DECLARANT}
    # Data quality only (the mean is the data-quality score): no rule, score or lane of targeting.
    # (and its declarations found misclassified, a finding about its data: never how many were inspected)
    head = {"operator_id", "period_start", "records", "mean_quality_score", "hs_codes_corrected"}
    assert all(key.startswith("share_") for row in rows for key in set(row) - head)
    assert untargeted(report.text)
