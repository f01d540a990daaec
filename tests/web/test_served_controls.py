"""Issue 22's business-flow attacks replayed over real HTTP against the app served by uvicorn, as the
reviewer ran them: a hold escaped by amendment or cancellation, another operator's documents read
or replaced by naming their numbers, look-alike text past the targeting rules, a payment provider
sending orders. Each must now fail (the same attacks run in-process in tests/api, case by case)."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from clearway.app.platform import Clearway
from tests.conftest import STANDARD_OPERATORS, fixture_json
from tests.web.conftest import Serve

pytestmark = pytest.mark.usefixtures("standard_operators")

A, B = "op-courier-1", "op-courier-2"


@pytest.fixture
def api(serve: Serve, service: Clearway) -> httpx.Client:
    return httpx.Client(base_url=serve(), timeout=30)


@pytest.fixture
def keys(service: Clearway) -> dict[str, str]:
    return {op: service.access.issue_key(op, actor="test:setup")[0].plaintext for op in STANDARD_OPERATORS}


def send(api: httpx.Client, keys: dict[str, str], operator: str, path: str, data: dict[str, Any]) -> httpx.Response:
    auth = {"Authorization": f"Bearer {keys[operator]}", "Content-Type": "application/json"}
    return api.post(path, content=json.dumps(data), headers=auth)


def senders_send(api: httpx.Client, keys: dict[str, str], who: dict[str, str]) -> None:
    for kind, sender in who.items():
        assert send(api, keys, sender, f"/v1/{kind}s", fixture_json(f"{kind}.json")).status_code == 201


NAMED = {"order": "op-platform-1", "payment": "op-psp-1", "waybill": "op-post-1"}


def described(data: dict[str, Any], text: str) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    changed["items"][0]["description"] = text
    return changed


def test_a_hold_cannot_be_amended_or_cancelled_away(
    api: httpx.Client, keys: dict[str, str], consignment_data: dict[str, Any]
) -> None:
    senders_send(api, keys, NAMED)
    held = send(api, keys, A, "/v1/consignments", described(consignment_data, "Pepper spray 50 ml")).json()
    assert held["state"] == "held"
    amend = send(api, keys, A, f"/v1/consignments/{held['id']}/amendments", described(consignment_data, "Hair spray"))
    assert amend.status_code == 409 and "173(2)" in amend.json()["detail"]
    cancel = send(api, keys, A, f"/v1/consignments/{held['id']}/cancellation", {"reason": "sold out"})
    assert cancel.status_code == 409 and "174(1)" in cancel.json()["detail"]
    view = api.get(f"/v1/consignments/{held['id']}", headers={"Authorization": f"Bearer {keys[A]}"}).json()
    assert view["state"] == "held" and view["version"] == 1
    # The declarant is told to present the goods, not which rule chose them.
    assert "lane" not in view and "decision" not in view and "risk" not in view
    assert "prohibited" not in json.dumps(view["history"])


def test_another_operator_neither_reads_nor_replaces_documents_by_their_numbers(
    api: httpx.Client, keys: dict[str, str], service: Clearway, consignment_data: dict[str, Any]
) -> None:
    senders_send(api, keys, {"order": A, "payment": A, "waybill": A})
    mine = send(api, keys, A, "/v1/consignments", consignment_data).json()
    assert mine["state"] == "released"
    copied = send(api, keys, B, "/v1/consignments", dict(consignment_data, reference="B-1")).json()
    read = api.get(f"/v1/consignments/{copied['id']}", headers={"Authorization": f"Bearer {keys[B]}"})
    assert read.status_code == 200 and copied["state"] != "released"
    for secret in ("card-4242", "ShopWorld Pay", "2026-11-20T09:16:30"):
        assert secret not in read.text
    forged = fixture_json("waybill.json") | {"gross_weight_kg": "9.99"}
    assert send(api, keys, B, "/v1/waybills", forged).status_code == 201
    dossier = service.dossier(None, mine["id"])
    assert dossier is not None and dossier.consignment.status.state.value == "released"
    assert dossier.documents["waybill"].operator_id == A


@pytest.mark.parametrize("text", ["P\u0435pper spray 50 ml", "Pep\u00adper spray 50 ml", "Pepper\u200b spray 50 ml"])
def test_look_alike_text_does_not_slip_past_the_rules(
    api: httpx.Client, keys: dict[str, str], consignment_data: dict[str, Any], text: str
) -> None:
    senders_send(api, keys, NAMED)
    r = send(api, keys, A, "/v1/consignments", described(consignment_data, text))
    assert r.status_code == 201 and r.json()["state"] == "held"


def test_a_payment_provider_cannot_send_orders(api: httpx.Client, keys: dict[str, str]) -> None:
    r = send(api, keys, "op-psp-1", "/v1/orders", fixture_json("order.json"))
    assert r.status_code == 403 and r.json()["type"].endswith("sender-not-entitled")
