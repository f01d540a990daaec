"""The grammar of a rule's ``when`` in the OpenAPI document (api/rule_schema.py) and the rule compiler
agree: what the document calls a condition compiles, and what it refuses the compiler refuses too."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema_rs
import pytest
import yaml
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.risk.rules.conditions import ConditionError, parse_condition
from tests.api.test_access_api import sign_in
from tests.api.test_openapi_contract import component_validator

PACK = "src/clearway/risk/packs/default.yaml"


@pytest.fixture
def condition(client: TestClient) -> jsonschema_rs.Validator:
    return component_validator(client.get("/openapi.json").json(), "RuleCondition")


def _json(value: Any) -> Any:
    # As a rule travels over the API: dates as text.
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date) else v))


def test_every_rule_of_the_default_pack_is_a_condition_the_document_describes(
    condition: jsonschema_rs.Validator,
) -> None:
    with open(PACK, encoding="utf-8") as handle:
        rules = yaml.safe_load(handle)["rules"]
    assert len(rules) > 10
    for rule in rules:
        when = _json(rule["when"])
        assert condition.is_valid(when), (rule["name"], [e.message for e in condition.iter_errors(when)])
        parse_condition(when)  # and the compiler takes the JSON form


GOOD = [
    {"field": "departure_date", "lt": "2026-01-01"},
    {"all": [{"field": "nature", "eq": "gift"}, {"not": {"field": "quality_score", "ge": "50.5"}}]},
    {
        "any": [
            {"field": "descriptions", "mentions": ["pepper spray", "taser"]},
            {"field": "hs_codes", "contains": "930400"},
        ]
    },
    {"field": "hs_codes", "starts_with": "93"},
    {"field": "platform_name", "is_null": True},
    {"field": "origin", "in": ["CN", "HK"]},
    {"field": "origin", "starts_with": ""},
]
BAD = [
    ({}, "nothing"),
    ({"all": []}, "an empty group"),
    ({"field": "origin"}, "no op"),
    ({"field": "origin", "eq": "CN", "ne": "HK"}, "two ops"),
    ({"field": "no_such_column", "eq": 1}, "an unknown field"),
    ({"field": "buyer_name", "mentions": "smith"}, "a personal field"),
    ({"field": "origin", "gt": "CN"}, "an op that does not apply to text"),
    ({"field": "hs_codes", "eq": "930400"}, "eq on a list"),
    ({"field": "origin", "in": []}, "an empty list"),
    ({"field": "origin", "is_null": "yes"}, "is_null with text"),
    ({"field": "origin", "eq": "CN", "extra": 1}, "an unknown key"),
    ({"not": [{"field": "origin", "eq": "CN"}]}, "not with a list"),
]
# What JSON Schema cannot tell apart, the compiler refuses on its own, naming the fix.
# (JSON Schema reads 1.5 as a number like 2; the compiler wants decimals as text, so that no binary
# float rounds a threshold.)
COMPILER_ONLY = [
    ({"field": "value_eur", "gt": 1.5}, "write decimal numbers as quoted strings"),
    ({"field": "value_eur", "gt": "twelve"}, "not a decimal number"),
]


@pytest.mark.parametrize("when", GOOD, ids=[json.dumps(g) for g in GOOD])
def test_a_condition_the_document_accepts_compiles(condition: jsonschema_rs.Validator, when: dict[str, Any]) -> None:
    assert condition.is_valid(when), [e.message for e in condition.iter_errors(when)]
    parse_condition(when)


@pytest.mark.parametrize(("when", "what"), BAD, ids=[what for _, what in BAD])
def test_a_condition_the_document_refuses_the_compiler_refuses(
    condition: jsonschema_rs.Validator, when: dict[str, Any], what: str
) -> None:
    assert not condition.is_valid(when), what
    with pytest.raises(ConditionError):
        parse_condition(when)


@pytest.mark.parametrize(("when", "message"), COMPILER_ONLY, ids=[m for _, m in COMPILER_ONLY])
def test_what_the_schema_cannot_say_the_compiler_refuses(when: dict[str, Any], message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(when)


def test_an_analyst_writes_a_date_condition_in_json(client: TestClient, service: Clearway) -> None:
    csrf = sign_in(client, service, "rita", Role.ANALYST)
    rule = {
        "description": "Gifts that left before the new tariff.",
        "jurisdictions": ["*"],
        "valid_from": "2026-01-01",
        "when": {"all": [{"field": "departure_date", "lt": "2026-03-01"}, {"field": "nature", "eq": "gift"}]},
        "legal_basis": "Test basis",
        "weight": 5,
    }
    answer = client.put(
        "/v1/risk/rules/early_departure", json={"rule": rule, "reason": "date test"}, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 200, answer.text
    assert "early_departure@1" in [r.key for r in service.risk.step().rules]
    # A date that is no calendar date is named, with the pointer into the body.
    rule["when"] = {"field": "departure_date", "lt": "2026-02-30"}
    bad = client.put(
        "/v1/risk/rules/early_departure", json={"rule": rule, "reason": "date test"}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status_code == 422 and "2026-02-30" in bad.text
