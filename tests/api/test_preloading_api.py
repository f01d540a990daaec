"""Pre-loading (PLACI): immediate answers, referrals answered by the carrier, expiry to do-not-load.

The carrier is told what to do and what its own data lacks, never which rule or list chose an item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from clearway.app.platform import Clearway
from clearway.risk.screening import WatchEntry
from tests.api.conftest import headers
from tests.api.documented import assert_documented

CARRIER = "op-courier-9"


def placi(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "reference": "PLACI-1",
        "transport_document": "HAWB0001",
        "master_waybill": "176-12345675",
        "consignor": {
            "name": "Shenzhen Bright Trading Co., Ltd",
            "country": "CN",
            "address": {"line1": "88 Huaqiang North Rd", "city": "Shenzhen", "country": "CN"},
        },
        "consignee": {
            "name": "Anna Schmidt",
            "country": "DE",
            "address": {"line1": "Lindenstrasse 5", "city": "Berlin", "postcode": "10969", "country": "DE"},
        },
        "goods_description": "Women's silk blouse",
        "packages": 1,
        "gross_weight_kg": "0.45",
        "destination_country": "DE",
    }
    return base | changes


def test_complete_data_is_answered_at_once(client: TestClient) -> None:
    answer = client.post("/v1/preloading", json=placi(), headers=headers(CARRIER))
    assert answer.status_code == 201, answer.text
    body = assert_documented(client, "POST", "/v1/preloading", answer)
    assert (body["answer"], body["status"], body["due_at"]) == ("assessment_complete", "closed", None)
    # A filing is always created: the document promises no other success.
    responses = client.get("/openapi.json").json()["paths"]["/v1/preloading"]["post"]["responses"]
    assert [status for status in responses if status.startswith("2")] == ["201"]
    assert (
        client.get(f"/v1/preloading/{body['id']}", headers=headers(CARRIER)).json()["answer"] == "assessment_complete"
    )
    # Another operator's filing is not found, like a missing one.
    assert client.get(f"/v1/preloading/{body['id']}", headers=headers("op-other-1")).status_code == 404


def test_codes_parties_and_weight_are_checked_like_a_declaration(client: TestClient) -> None:
    consignee = dict(placi()["consignee"], country="XX", vat="DE000")
    refused = client.post(
        "/v1/preloading",
        json=placi(destination_country="QQ", gross_weight_kg="0", consignee=consignee),
        headers=headers(CARRIER),
    )
    assert refused.status_code == 422, refused.text
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert pointers == {"/destination_country", "/consignee/country", "/consignee/vat", "/gross_weight_kg"}


def test_a_request_for_information_is_answered_with_corrected_data(client: TestClient) -> None:
    vague = placi(consignee={"name": "Anna Schmidt", "country": "DE"}, goods_description="gift")
    filed = client.post("/v1/preloading", json=vague, headers=headers(CARRIER)).json()
    assert (filed["answer"], filed["status"]) == ("request_for_information", "open")
    # What is missing from its own data, the carrier is told: that is what it must supply.
    assert {r["code"] for r in filed["reasons"]} == {"consignee_address_missing", "vague_description"}
    assert filed["due_at"] is not None
    fixed = client.post(f"/v1/preloading/{filed['id']}/information", json=placi(), headers=headers(CARRIER))
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["answer"], fixed.json()["status"]) == ("assessment_complete", "closed")
    again = client.post(f"/v1/preloading/{filed['id']}/information", json=placi(), headers=headers(CARRIER))
    assert again.status_code == 409


def test_prohibited_goods_need_screening_and_a_threat_means_do_not_load(client: TestClient) -> None:
    filed = client.post("/v1/preloading", json=placi(goods_description="Pepper spray 40 ml"), headers=headers(CARRIER))
    body = filed.json()
    assert (body["answer"], body["status"]) == ("request_for_screening", "open")
    # Asked to screen, not told which rule asked: naming it would show how to describe around it.
    assert [r["code"] for r in body["reasons"]] == ["screening_requested"]
    assert "prohibited_or_restricted_goods_described" not in filed.text and "rule_versions" not in body
    done = client.post(
        f"/v1/preloading/{body['id']}/screening", json={"screening": "threat_found"}, headers=headers(CARRIER)
    )
    assert done.json()["answer"] == "do_not_load"


def test_a_sanctioned_consignor_is_not_loaded(client: TestClient, service: Clearway) -> None:
    service.risk.import_watchlist(
        "SDN",
        "sanctions",
        [WatchEntry(list_name="SDN", entry_id="77", kind="party", value="SHENZHEN BRIGHT TRADING")],
        source="test",
        actor="test",
    )
    answer = client.post("/v1/preloading", json=placi(), headers=headers(CARRIER))
    body = answer.json()
    assert body["answer"] == "do_not_load"
    # Neither the list, the entry nor the rule: the carrier is not to tip off the consignor.
    assert [r["code"] for r in body["reasons"]] == ["do_not_load"] and "screening_hits" not in body
    for word in ("SDN", "sanctions", "party_on_sanctions_list", "rule_versions"):
        assert word not in answer.text, word
    assert client.get(f"/v1/preloading/{body['id']}", headers=headers(CARRIER)).json() == body


def test_an_unanswered_referral_expires_to_do_not_load(client: TestClient, service: Clearway) -> None:
    filed = client.post("/v1/preloading", json=placi(goods_description="gift"), headers=headers(CARRIER)).json()
    assert service.preloading.expire_referrals(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)) == 0
    assert service.preloading.expire_referrals(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)) == 1
    body = client.get(f"/v1/preloading/{filed['id']}", headers=headers(CARRIER)).json()
    assert (body["answer"], body["status"]) == ("do_not_load", "expired")


def test_a_new_filing_does_not_replace_do_not_load_or_an_open_referral(client: TestClient) -> None:
    # The review's attack: told not to load "Pepper spray", the carrier files "Hair spray" for the
    # same house consignment.
    filed = client.post("/v1/preloading", json=placi(goods_description="Pepper spray 40 ml"), headers=headers(CARRIER))
    assert filed.status_code == 201 and filed.json()["status"] == "open"
    again = client.post("/v1/preloading", json=placi(goods_description="Hair spray 40 ml"), headers=headers(CARRIER))
    assert again.status_code == 409 and "open referral" in again.json()["detail"]
    answer = {"screening": "threat_found"}
    done = client.post(f"/v1/preloading/{filed.json()['id']}/screening", json=answer, headers=headers(CARRIER))
    assert done.json()["answer"] == "do_not_load"
    again = client.post("/v1/preloading", json=placi(goods_description="Hair spray 40 ml"), headers=headers(CARRIER))
    assert again.status_code == 409 and "do not load" in again.json()["detail"]
