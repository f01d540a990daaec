"""The OpenAPI document as a contract (issue 20): stable ids under one naming rule, audience tags,
problem+json for every error, the headers clients read, formats, one Money and one component per
closed set. What it says about security is checked against the routes in test_security_contract.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import msgspec
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.api.contract import OPERATIONS, TAG_ROLES, TAGS
from clearway.api.problems import PROBLEM_JSON
from tests.api.conftest import headers
from tests.jurisdictions.test_cases import ALL as REVENUE_CASES
from tests.jurisdictions.test_cases import assessment_of

# docs/integration.md: <resource>.<action>, dotted lowerCamel words.
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$")


def _document(client: TestClient) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    return spec


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _nodes(node: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _nodes(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nodes(value, f"{at}/{i}")


def test_ids_are_short_stable_and_follow_one_rule(client: TestClient) -> None:
    spec = _document(client)
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    found = {(m, p): op["operationId"] for m, p, op in _operations(spec)}
    assert found[("post", "/v1/consignments")] == "consignments.create"
    assert found[("post", "/v1/customs/consignments/{consignment_id}/control")] == "customs.consignments.control"


def test_each_operation_is_tagged_for_an_audience_that_may_call_it(client: TestClient) -> None:
    spec = _document(client)
    assert [t["name"] for t in spec["tags"]] == [t["name"] for t in TAGS]
    for method, path, operation in _operations(spec):
        [tag] = operation["tags"]
        if tag == "public":
            assert operation["security"] == [], f"{method} {path}"
        elif operation["security"] == []:
            assert path == "/v1/oauth/token"  # public, for operators
        else:
            assert set(operation["x-roles"]) & TAG_ROLES[tag], f"{method} {path} tagged {tag}"


def test_the_document_says_where_and_under_what_licence(client: TestClient) -> None:
    spec = _document(client)
    assert spec["servers"] == [{"url": "/", "description": "This server"}]
    assert spec["info"]["license"]["identifier"] == "Apache-2.0"
    assert spec["info"]["contact"]["url"]


def test_every_error_is_problem_json(client: TestClient) -> None:
    spec = _document(client)
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path == "/v1/oauth/token" and status in ("400", "401")):
                continue  # the token endpoint answers in RFC 6749's own format
            assert list(response.get("content", {})) == [PROBLEM_JSON], f"{method} {path} {status}"
        assert "500" in operation["responses"]


def test_a_parameter_error_is_the_problem_the_document_shows(client: TestClient) -> None:
    answer = client.get("/v1/statements/schemes?month=May", headers=headers())
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert set(problem) <= {"type", "title", "status", "detail", "instance", "errors"}
    assert problem["errors"][0]["pointer"] == "/month"


def test_headers_clients_read_are_declared(client: TestClient, consignment_data: dict[str, Any]) -> None:
    spec = _document(client)
    created = spec["paths"]["/v1/consignments"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
    answer = client.post("/v1/consignments", json=consignment_data, headers=headers())
    assert answer.status_code == 201 and answer.headers["location"] == f"/v1/consignments/{answer.json()['id']}"
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"], f"{method} {path}"
        if "201" in responses and "Location" not in responses["201"].get("headers", {}):
            # Only the answers that send it declare it.
            assert path not in ("/v1/consignments", "/v1/consignments/{consignment_id}/amendments")


def test_timestamps_have_their_format(client: TestClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    loose = []
    for name, schema in schemas.items():
        for prop, value in schema.get("properties", {}).items():
            if prop == "at" or prop.endswith(("_at", "_date")):
                branches = value.get("anyOf", [value])
                strings = [b for b in branches if b.get("type") == "string"]
                if strings and not all(b.get("format") in ("date-time", "date") for b in strings):
                    loose.append(f"{name}.{prop}")
    assert loose == []


def test_closed_sets_and_money_are_shared_components(client: TestClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    for name in ("Lane", "LinkStatus", "CollectionModel", "PreloadingAnswer", "PreloadingStatus", "Money"):
        assert name in schemas
    assert schemas["PreloadingStatus"]["enum"] == ["closed", "expired", "open"]
    refs = {
        at: node["$ref"].rsplit("/", 1)[1] for at, node in _nodes(schemas) if isinstance(node, dict) and "$ref" in node
    }
    for at, target in (
        ("/DeclarantView/properties/link_status/anyOf/0", "LinkStatus"),
        ("/QuoteResponse/properties/collection_model", "CollectionModel"),
        ("/Decision/properties/lane", "Lane"),
        ("/PlaciAnswer/properties/answer", "PreloadingAnswer"),
        ("/QuoteResponse/properties/exchange_rate/anyOf/0", "ExchangeRate"),
        ("/Assessment/properties/exchange_rate/anyOf/0", "ExchangeRate"),
        ("/QuoteResponse/properties/total/anyOf/0", "Money"),
        ("/IntermediaryStatementLine/properties/total", "Money"),
        ("/RefundResponse/properties/refunded_tax", "Money"),
    ):
        assert refs.get(at) == target, at
    # No answer carries a decimal of its own: amounts are Money, rates say what they are.
    plain = [at for at, node in _nodes(schemas) if isinstance(node, dict) and node.get("format") == "decimal"]
    assert all("description" in _lookup(schemas, at) or at.startswith("/Outcome/") for at in plain), plain


def component_validator(spec: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    """A validator for one component of the document, its references resolved inside it."""
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}, validate_formats=True
    )


def test_money_has_a_sign_only_where_the_domain_says(client: TestClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    assert not re.match(schemas["Money"]["pattern"], "-1.00")
    assert re.match(schemas["SignedMoney"]["pattern"], "-97")
    signed = [at for at, node in _nodes(schemas) if node == {"$ref": "#/components/schemas/SignedMoney"}]
    assert signed == ["/Line/properties/amount/anyOf/0"]
    # Requests send amounts of one kind: Amount (0 or more) or Quantity (above 0), text or a whole number.
    assert schemas["Amount"]["type"] == ["string", "integer"]
    assert not re.match(schemas["Amount"]["pattern"], "-1")
    refs = {at for at, node in _nodes(schemas) if node == {"$ref": "#/components/schemas/Amount"}}
    assert {"/Item/properties/unit_price", "/QuoteItem/properties/unit_value", "/Payment/properties/amount"} <= refs


def test_every_assessment_of_the_revenue_cases_is_what_the_document_says(client: TestClient) -> None:
    """290 cases across 14 jurisdictions, rounding lines below zero included, against the Assessment
    component: an amount outside its Money or SignedMoney pattern fails here."""
    validator = component_validator(_document(client), "Assessment")
    encode = msgspec.json.Encoder(decimal_format="string").encode
    negative = 0
    for name, case in REVENUE_CASES:
        body = json.loads(encode(assessment_of(case)))
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (name, errors)
        negative += any((line["amount"] or "").startswith("-") for line in body["lines"])
    assert negative, "no case has a line below zero: the SignedMoney test above proves nothing"


def _lookup(schemas: dict[str, Any], at: str) -> dict[str, Any]:
    node: Any = schemas
    for part in at.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    found: dict[str, Any] = node
    return found


def test_the_public_quote_refuses_no_credential(client: TestClient) -> None:
    quote = _document(client)["paths"]["/v1/quotes"]["post"]
    assert quote["security"] == [] and not {"401", "403"} & set(quote["responses"])
    assert quote["x-roles"] == [] and Role.OPERATOR not in quote["x-roles"]


def test_the_outcome_enum_is_the_set_the_service_accepts() -> None:
    import typing

    from clearway.api.risk import OutcomeKind
    from clearway.app.risk.outcomes import OUTCOMES

    # One closed set: the document's enum and the service's check cannot drift apart.
    assert tuple(typing.get_args(OutcomeKind)) == OUTCOMES


def test_identifier_patterns_refuse_a_final_newline() -> None:
    import msgspec
    import pytest

    from clearway.api.admin import OperatorId
    from clearway.api.risk import RuleName

    # Python's "$" matches before a final newline, JSON Schema's does not: "op-1\n" would have been
    # a second operator that looks like the first.
    for kind, good in ((OperatorId, "op-1"), (RuleName, "new_seller")):
        assert msgspec.convert(good, kind) == good
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(good + "\n", kind)
