"""The OpenAPI document made exact, after FastAPI and msgspec have written it.

What FastAPI cannot know is added here, from the application itself wherever it can be: who may call
each operation (from the route's ``Access`` rule, so the document cannot drift from what the route
enforces), stable operation ids and audience tags, problem+json for the framework's own errors, the
headers clients must read, the formats of timestamps (msgspec leaves them out, as it also accepts
naive times), and one component for money and for each closed set. docs/integration.md says what a
client can rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from clearway.access.roles import PEOPLE_ROLES, Role
from clearway.api.contract_types import enums, formats, money, reachable
from clearway.api.deps import CSRF_HEADER, SESSION_COOKIE, Access
from clearway.api.operations import OPERATIONS, TAG_ROLES, TAGS
from clearway.api.problems import PROBLEM_JSON

__all__ = [
    "CONTACT_URL",
    "OPERATIONS",
    "SECURITY_SCHEMES",
    "TAGS",
    "TAG_ROLES",
    "access_of",
    "finish",
    "route_rules",
    "rules_of",
    "security_of",
]

# Where to write to the project: the API document's contact, and the accessibility statement's.
CONTACT_URL = "https://clearway.dev"

# -- who may call what --------------------------------------------------------------------------

OPERATOR_KEY = "operatorKey"
OAUTH2 = "oauth2"
SESSION = "session"
CSRF = "csrf"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    OPERATOR_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "An operator's API key (cw_<key id>_<secret>), as an administrator issued it.",
    },
    OAUTH2: {
        "type": "oauth2",
        "description": (
            "An access token for an API key's id and secret (RFC 6749 section 4.4), sent as a Bearer "
            "credential: the long-lived secret travels once rather than on every request."
        ),
        "flows": {"clientCredentials": {"tokenUrl": "/v1/oauth/token", "scopes": {}}},
    },
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": (
            "A person's session, opened by signing in at /login (officers, analysts, statisticians, administrators)."
        ),
    },
    CSRF: {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": (
            "The session's CSRF token: required with the session cookie on every POST, PUT, PATCH and DELETE."
        ),
    },
}

_UNSAFE = frozenset({"post", "put", "patch", "delete"})


def rules_of(dependant: Dependant) -> list[Access]:
    found = [d.call for d in dependant.dependencies if isinstance(d.call, Access)]
    for sub in dependant.dependencies:
        found += rules_of(sub)
    return found


def route_rules(app: FastAPI) -> Iterator[tuple[str, str, bool, list[Access]]]:
    """Every route as (method or 'ANY', path template, in the document, its Access rules)."""
    for route in app.routes:
        # Included routers appear as one entry that expands into its effective routes.
        contexts = list(route.effective_route_contexts()) if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            dependant = getattr(context, "dependant", None)
            if dependant is None:
                yield "ANY", getattr(context, "path", ""), False, []
                continue
            documented = bool(getattr(context, "include_in_schema", True))
            # The template as documented: {consignment_id}, not {consignment_id:consignment_id}.
            for method in sorted(getattr(context, "methods", None) or ()):
                yield method, str(getattr(context, "path_format", "")), documented, rules_of(dependant)


def access_of(rules: Iterable[Access]) -> Access | None:
    """The rule a route enforces: public when every rule is; otherwise the roles all its rules admit."""
    rules = list(rules)
    if not rules:
        return None
    guarded = [rule for rule in rules if not rule.public]
    if not guarded:
        return rules[0]
    roles = frozenset.intersection(*(rule.roles for rule in guarded))
    return Access(*roles) if roles else None


def security_of(access: Access, method: str) -> list[dict[str, list[str]]]:
    """The OpenAPI security requirements of a route: an API key or a token for operators; the
    session cookie for people, with the CSRF header on anything but a read; nothing when public.
    Machines' credentials only ever authenticate operators, and sessions only people
    (deps.authenticate), so the roles alone say which schemes get past authentication."""
    if access.public:
        return []
    requirements: list[dict[str, list[str]]] = []
    if Role.OPERATOR in access.roles:
        requirements += [{OPERATOR_KEY: []}, {OAUTH2: []}]
    if access.roles & PEOPLE_ROLES:
        requirements.append({SESSION: [], CSRF: []} if method.lower() in _UNSAFE else {SESSION: []})
    return requirements


# Operation ids and tags are in api/operations.py (OPERATIONS, TAGS, TAG_ROLES).

# The 201 answers that carry a Location header (api/intake.py: the new consignment's address).
LOCATION = frozenset(
    {
        ("post", "/v1/consignments"),
        ("post", "/v1/consignments/{consignment_id}/amendments"),
        ("post", "/v1/messages/{ref}"),
    }
)

# -- shared components --------------------------------------------------------------------------

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# -- the finishing pass ---------------------------------------------------------------------------


def finish(spec: dict[str, Any], app: FastAPI, types: Iterable[Any]) -> None:
    """Complete ``spec`` (FastAPI's document with msgspec's components merged in) in place."""
    spec["openapi"] = "3.1.0"
    spec["info"]["license"] = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
    spec["info"]["contact"] = {"name": "Clearway", "url": CONTACT_URL}
    spec["servers"] = [{"url": "/", "description": "This server"}]
    spec["tags"] = TAGS
    components = spec.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    _operations(spec, app)
    _errors(spec)
    _headers(spec)
    formats(components["schemas"], types)
    money(spec)
    enums(components["schemas"])


def for_audiences(spec: dict[str, Any], audiences: set[str]) -> dict[str, Any]:
    """The document with only the operations tagged for ``audiences`` (an operator's engineers need
    neither the officers' nor the administrators' routes in their client or collection). Components
    no kept operation reaches are left out, the security schemes no kept operation names too."""
    paths = {
        path: kept
        for path, item in spec["paths"].items()
        if (kept := {method: op for method, op in item.items() if set(op.get("tags", ())) & audiences})
    }
    out = {**spec, "paths": paths, "tags": [tag for tag in spec.get("tags", ()) if tag["name"] in audiences]}
    components = spec.get("components", {})
    reached = reachable(out, "requestBody") | reachable(out, "responses") | reachable(out, "parameters")
    operations = [op for item in paths.values() for op in item.values()]
    schemes = {name for op in operations for rule in op.get("security", ()) for name in rule}
    out["components"] = {
        **components,
        "schemas": {name: schema for name, schema in components.get("schemas", {}).items() if name in reached},
        "securitySchemes": {k: v for k, v in components.get("securitySchemes", {}).items() if k in schemes},
    }
    return out


def _operations(spec: dict[str, Any], app: FastAPI) -> None:
    access: dict[tuple[str, str], Access] = {}
    for method, path, documented, rules in route_rules(app):
        found = access_of(rules)
        if documented and found is not None:
            access[(method.lower(), path)] = found
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            key = (method, path)
            if key not in OPERATIONS:
                raise LookupError(
                    f"{method.upper()} {path} has no operation id: add it to api/operations.py OPERATIONS"
                )
            if key not in access:
                raise LookupError(f"{method.upper()} {path} declares no Access rule")
            operation["operationId"], tag = OPERATIONS[key]
            operation["tags"] = [tag]
            rule = access[key]
            operation["security"] = security_of(rule, method)
            # The roles, for people reading the document (the schemes say how, this says who).
            operation["x-roles"] = sorted(rule.roles)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def _errors(spec: dict[str, Any]) -> None:
    """Every error is problem+json: FastAPI's own 422 entry (HTTPValidationError, a body this API
    never sends: problems.install answers parameter errors as a Problem with ``errors``) is
    replaced, a public operation documents no refusal of credentials, and every operation can
    answer 500 (problems.install: a bug still answers in the API's format)."""
    for item in spec["paths"].values():
        for operation in item.values():
            responses: dict[str, Any] = operation["responses"]
            invalid = responses.get("422")
            if invalid is not None and PROBLEM_JSON not in invalid.get("content", {}):
                responses["422"] = _problem("Invalid parameters; each error names the parameter by a JSON pointer")
            if operation["security"] == []:
                for status in ("401", "403"):
                    if PROBLEM_JSON in responses.get(status, {}).get("content", {}):
                        del responses[status]
            responses.setdefault("500", _problem("Internal error: the server failed to handle the request"))
    schemas = spec["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def _headers(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if (method, path) in LOCATION and "201" in responses:
                responses["201"].setdefault("headers", {})["Location"] = {
                    "description": "The address of the consignment",
                    "schema": {"type": "string", "format": "uri-reference"},
                }
            if "401" in responses and operation["security"]:
                responses["401"].setdefault("headers", {})["WWW-Authenticate"] = {
                    "description": "The scheme to authenticate with (Bearer)",
                    "schema": {"type": "string"},
                }
