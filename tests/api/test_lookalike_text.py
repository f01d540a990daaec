"""Issue #22, "controls that hold", through the app: look-alike text, personal fields in rules, deep rules.

Each test replays an attack of the security review with real requests: a prohibited item described
with look-alike letters or invisible characters is still targeted (never released green) and still
found by the public restrictions lookup; an analyst cannot write a rule that tests a buyer's name;
a rule nested 3,000 levels deep is refused with a 422 rather than a 500.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in
from tests.conftest import fixture_json

# "Pepper spray" as the review wrote it: each reads the same on screen.
PEPPER_SPRAY = {
    "cyrillic_e": "P\u0435pper spray",
    "soft_hyphen": "Pep\u00adper spray",
    "zero_width_space": "Pep\u200bper spray",
    "cyrillic_capitals": "\u0420\u0415\u0420\u0420\u0415R SPRAY",
    "fullwidth": "Ｐｅｐｐｅｒ ｓｐｒａｙ",
    # The review's second round: each got a consignment released green before.
    "braille_blank": "Pepper\u2800spray",
    "hangul_filler": "Pepper\u3164spray",
    "ypogegrammeni": "Pep\u0345per spray",  # a combining mark that casefolds to ι
    "hieroglyph_joiner": "Pep\U00013430per spray",  # a format character that is not Default_Ignorable
    "hyphen": "Pepper-spray",
    "em_dash": "Pepper\u2014spray",
    "small_capital": "\u1d18epper spray",
}
RULE = "prohibited_or_restricted_goods_described"


def post_json(client: TestClient, path: str, data: Any, operator: str = "op-courier-1") -> Any:
    return client.post(path, content=json.dumps(data).encode(), headers=headers(operator))


def described(data: dict[str, Any], description: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["items"][0]["description"] = description
    return out


@pytest.mark.parametrize("variant", sorted(PEPPER_SPRAY))
def test_a_look_alike_prohibited_item_is_not_released_green(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any], variant: str
) -> None:
    text = PEPPER_SPRAY[variant]
    created = post_json(client, "/v1/consignments", described(consignment_data, text))
    assert created.status_code == 201, created.text
    order = fixture_json("order.json")
    order["lines"][0]["description"] = text  # the documents agree with the declaration
    for kind, operator, body in (
        ("order", "op-platform-1", order),
        ("payment", "op-psp-1", fixture_json("payment.json")),
        ("waybill", "op-post-1", fixture_json("waybill.json")),
    ):
        assert post_json(client, f"/v1/{kind}s", body, operator).status_code == 201
    consignment_id = created.json()["id"]
    view = client.get(f"/v1/consignments/{consignment_id}", headers=headers()).json()
    assert (view["state"], view["hold_reason"]) == ("held", "inspection")
    dossier = service.dossier(None, consignment_id)  # what customs sees: the lane and the rule that hit
    assert dossier is not None and dossier.risk is not None
    assert dossier.risk.lane == "red" and RULE in dossier.risk.rule_hits
    if variant in ("cyrillic_e", "cyrillic_capitals"):
        assert "mixed_script_text" in dossier.risk.quality_codes


@pytest.mark.parametrize("variant", sorted(PEPPER_SPRAY))
def test_the_public_lookup_finds_the_restriction_behind_look_alikes(client: TestClient, variant: str) -> None:
    answer = client.get("/v1/restrictions", params={"jurisdiction": "GB", "q": PEPPER_SPRAY[variant]})
    assert answer.status_code == 200, answer.text
    titles = [r["title"] for r in answer.json()["restrictions"]]
    assert any("Pepper spray" in title for title in titles), titles


def _rule(when: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": "A test rule made by an analyst.",
        "jurisdictions": ["*"],
        "valid_from": "2024-01-01",
        "weight": 10,
        "legal_basis": "UCC Art. 46",
        "when": when,
    }


def _nested(depth: int) -> dict[str, Any]:
    cond: dict[str, Any] = {"field": "origin", "eq": "CN"}
    for _ in range(depth):
        cond = {"not": cond}
    return cond


def test_an_analysts_rule_on_a_buyers_name_is_refused(client: TestClient, service: Clearway) -> None:
    auth = {"X-CSRF-Token": sign_in(client, service, "rita", Role.ANALYST)}
    when = {"all": [{"field": "origin", "eq": "CN"}, {"field": "buyer_name", "eq": "Anna Schmidt"}]}
    answer = client.put("/v1/risk/rules/find_anna", json={"rule": _rule(when), "reason": "curious"}, headers=auth)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["pointer"] == "/rule/when/all/1/field" and "personal data" in error["detail"]
    email = {"any": [{"field": "buyer_email", "starts_with": "anna"}]}
    refused = client.put(
        "/v1/risk/rules/find_anna", json={"rule": _rule(email), "reason": "curious again"}, headers=auth
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/rule/when/any/0/field"
    assert "find_anna" not in {r["name"] for r in client.get("/v1/risk/rules").json()["rules"]}


@pytest.mark.parametrize(("depth", "pointer"), [(40, "/rule/when" + "/not" * 33), (3000, "")])
def test_a_rule_nested_too_deep_is_a_422_not_a_500(
    client: TestClient, service: Clearway, depth: int, pointer: str
) -> None:
    auth = {"X-CSRF-Token": sign_in(client, service, "rita", Role.ANALYST)}
    body = {"rule": _rule(_nested(depth)), "reason": "deep"}
    # Encoded by hand: json.dumps itself recurses, and the test is about what the server does.
    text = json.dumps(body) if depth < 500 else _deep_body(body, depth)
    answer = client.put(
        "/v1/risk/rules/deep_rule", content=text.encode(), headers={**auth, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == pointer


def _deep_body(body: dict[str, Any], depth: int) -> str:
    shallow = {**body, "rule": {**body["rule"], "when": "WHEN"}}
    when = '{"not": ' * depth + '{"field": "origin", "eq": "CN"}' + "}" * depth
    return json.dumps(shallow).replace('"WHEN"', when)
