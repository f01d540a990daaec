"""Deny by default: every route declares who may call it, and this test fails if one does not."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.api.contract import route_rules, rules_of
from clearway.api.deps import Access
from clearway.app.platform import Clearway

# FastAPI's own documentation routes: public by nature, and they show no data.
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# The pages' stylesheet and scripts (a static mount): public like any web asset, and they hold no data.
ASSETS = {"/static"}


def route_table(service: Clearway) -> dict[tuple[str, str], list[Access]]:
    # The same walk the OpenAPI document's security is derived from (api/contract.py), so that what
    # this test checks is what the document says (tests/api/test_security_contract.py).
    app = create_app(service.settings, service, sweep=False)
    table: dict[tuple[str, str], list[Access]] = {}
    for method, path, _, found in route_rules(app):
        if method != "ANY" or path not in DOCUMENTATION | ASSETS:
            table[(method, path)] = found
    assert len(table) > 15, "the route walk found too few routes to be trusted"
    return table


def test_every_route_declares_its_roles(service: Clearway) -> None:
    undeclared = sorted(key for key, found in route_table(service).items() if not found)
    assert undeclared == [], f"routes without an Access rule: {undeclared}"


def test_the_public_routes_are_exactly_these(service: Clearway) -> None:
    public = sorted(key for key, found in route_table(service).items() if any(r.public for r in found))
    assert public == [
        ("GET", "/accessibility"),
        ("GET", "/classify"),
        ("GET", "/landed-cost"),
        ("GET", "/login"),
        ("GET", "/prohibited"),
        ("GET", "/track"),
        ("GET", "/v1/health"),
        ("GET", "/v1/health/ready"),
        ("GET", "/v1/restrictions"),
        ("GET", "/v1/tracking/{transport_document}"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/v1/classifications"),
        ("POST", "/v1/oauth/token"),
        ("POST", "/v1/quotes"),
    ]


def test_who_may_call_what(service: Clearway) -> None:
    table = route_table(service)

    def roles(method: str, path: str) -> set[Any]:
        return {role for rule in table[(method, path)] for role in rule.roles}

    assert roles("POST", "/v1/consignments") == {Role.OPERATOR}
    assert roles("GET", "/v1/consignments/{consignment_id}") == {Role.OPERATOR}
    assert roles("POST", "/v1/admin/operators") == {Role.ADMIN}
    # The metrics show volumes per route and the queues: administrators (or the scraper's token) only.
    assert roles("GET", "/metrics") == {Role.ADMIN}
    # Refused requests name addresses and callers: administrators' business only.
    assert roles("GET", "/v1/admin/security-events") == {Role.ADMIN}
    assert roles("GET", "/") == {Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN}
    # Operator routes admit operators only: no person reads raw submissions through them.
    operator_routes = [key for key in table if key[1].startswith(("/v1/consignments", "/v1/orders"))]
    assert operator_routes and all(roles(*key) == {Role.OPERATOR} for key in operator_routes)
    # The rule catalogue and the targeting model say how consignments are chosen: customs' only (issue 22).
    for path in ("/v1/risk/rules", "/v1/risk/rules/{name}", "/v1/risk/model", "/v1/risk/model/drift"):
        assert roles("GET", path) and Role.OPERATOR not in roles("GET", path), path


def test_the_walk_notices_an_undeclared_route(service: Clearway) -> None:
    app = create_app(service.settings, service, sweep=False)

    @app.get("/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    contexts = [c for r in app.routes if hasattr(r, "effective_route_contexts") for c in r.effective_route_contexts()]
    plain = [r for r in app.routes if isinstance(r, APIRoute)]
    found = {getattr(r, "path", ""): rules_of(r.dependant) for r in [*contexts, *plain]}
    assert found["/v1/forgotten"] == [] and found["/v1/health"] != []
