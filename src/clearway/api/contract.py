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
from typing import Any, get_args

import msgspec
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from clearway.access.roles import PEOPLE_ROLES, Role
from clearway.api.deps import CSRF_HEADER, SESSION_COOKIE, Access
from clearway.api.operations import OPERATIONS, TAG_ROLES, TAGS
from clearway.api.problems import PROBLEM_JSON
from clearway.clearance.decision import Lane
from clearway.clearance.linking import LinkStatus
from clearway.dataset.records import AMOUNT_PATTERN, POSITIVE_PATTERN
from clearway.revenue.model import CollectionModel
from clearway.risk.preloading import Answer, FilingStatus

__all__ = [
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
LOCATION = frozenset({("post", "/v1/consignments"), ("post", "/v1/consignments/{consignment_id}/amendments")})

# -- shared components --------------------------------------------------------------------------

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Money in answers has no sign: duties, taxes, fees, totals, values and refunds are never below zero.
# The one exception is a line that adjusts a figure down (Japan rounds duty down to whole hundreds of
# yen, a line of -97): those amounts are SignedMoney. Both are decimal text, never JSON numbers, so
# that no client rounds them through binary floating point.
MONEY_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
SIGNED_MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
SIGNED = frozenset({("Line", "amount")})
MONEY: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": MONEY_PATTERN,
    "description": "An amount of money, 0 or more, as a decimal string, in the currency its object names.",
    "examples": ["12.50"],
}
SIGNED_MONEY: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": SIGNED_MONEY_PATTERN,
    "description": (
        "An amount of money that may be below 0 (an adjustment, such as rounding a duty down), as a "
        "decimal string, in the currency its object names."
    ),
    "examples": ["-0.97"],
}
# What requests may send (dataset.records): one component each, so that a generated client has one
# type for an amount wherever it is asked for. Amount is Money within the bounds a document accepts
# (below 10^12, at most 6 decimal places); requests may also send it as a whole JSON number.
REQUEST_DECIMALS = {AMOUNT_PATTERN: "Amount", POSITIVE_PATTERN: "Quantity"}
# Closed sets shared by several schemas, each one component. The values are the model's Literal types.
ENUMS: dict[str, tuple[Any, str]] = {
    "Lane": (Lane, "The lane risk assessment chose: green releases, yellow and red hold for control."),
    "LinkStatus": (LinkStatus, "Whether the declaration's order, payment and waybill arrived and agree."),
    "CollectionModel": (CollectionModel, "Who collects the import tax: the vendor, an intermediary, the buyer..."),
    "PreloadingAnswer": (Answer, "Customs' answer to a pre-loading filing."),
    "PreloadingStatus": (
        FilingStatus,
        "Open while a referral awaits the carrier's answer; closed once answered; expired if not in time.",
    ),
}
# Where each set appears: a property of that name in any schema, or (schema, property).
ENUM_PROPERTIES: dict[str, tuple[str | tuple[str, str], ...]] = {
    "Lane": ("lane",),
    "LinkStatus": ("link_status", ("LinkResult", "status")),
    "CollectionModel": ("collection_model",),
    "PreloadingAnswer": (("PlaciAnswer", "answer"),),
    "PreloadingStatus": (("PlaciAnswer", "status"),),
}


# -- the finishing pass ---------------------------------------------------------------------------


def finish(spec: dict[str, Any], app: FastAPI, types: Iterable[Any]) -> None:
    """Complete ``spec`` (FastAPI's document with msgspec's components merged in) in place."""
    spec["openapi"] = "3.1.0"
    spec["info"]["license"] = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
    spec["info"]["contact"] = {"name": "Clearway", "url": "https://clearway.dev"}
    spec["servers"] = [{"url": "/", "description": "This server"}]
    spec["tags"] = TAGS
    components = spec.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    _operations(spec, app)
    _errors(spec)
    _headers(spec)
    _formats(components["schemas"], types)
    _money(spec)
    _enums(components["schemas"])


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
    reached = _reachable(out, "requestBody") | _reachable(out, "responses") | _reachable(out, "parameters")
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


def _struct_types(types: Iterable[Any]) -> Iterator[msgspec.inspect.StructType]:
    seen: set[type] = set()
    for info in msgspec.inspect.multi_type_info(list(types)):
        yield from _walk(info, seen)


def _walk(info: msgspec.inspect.Type, seen: set[type]) -> Iterator[msgspec.inspect.StructType]:
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls in seen:
            return
        seen.add(info.cls)
        yield info
        for field in info.fields:
            yield from _walk(field.type, seen)
    elif isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            yield from _walk(member, seen)
    elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType)):
        yield from _walk(info.item_type, seen)
    elif isinstance(info, msgspec.inspect.DictType):
        yield from _walk(info.value_type, seen)
    elif isinstance(info, msgspec.inspect.Metadata):
        yield from _walk(info.type, seen)


def _is_datetime(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.Metadata):
        return _is_datetime(info.type)
    return isinstance(info, msgspec.inspect.DateTimeType)


def _formats(schemas: dict[str, Any], types: Iterable[Any]) -> None:
    """``format: date-time`` on every datetime field: msgspec writes dates' format but not
    datetimes' (it decodes naive times too); this API only ever sends them with their offset."""
    for struct in _struct_types(types):
        component = schemas.get(struct.cls.__name__)
        if component is None:
            continue
        for field in struct.fields:
            prop = component.get("properties", {}).get(field.encode_name)
            if prop is None:
                continue
            members = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
            if not any(_is_datetime(member) for member in members):
                continue
            for branch in prop.get("anyOf", [prop]):
                if branch.get("type") == "string" and "format" not in branch:
                    branch["format"] = "date-time"


def _money(spec: dict[str, Any]) -> None:
    """Every amount the API answers with is Money (or SignedMoney, see SIGNED): a Decimal field without
    a description of its own (rates have one). Every amount or quantity a request sends is Amount or
    Quantity (REQUEST_DECIMALS), which also take a whole JSON number and say so."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    answers = set(schemas) - (_reachable(spec, "requestBody") - _reachable(spec, "responses"))
    requested: dict[str, dict[str, Any]] = {}

    def swap(node: Any, name: str, path: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            if node.get("format") == "decimal" and node.get("pattern") in REQUEST_DECIMALS:
                component = REQUEST_DECIMALS[node["pattern"]]
                # msgspec writes Decimal's own "type": "string" over the records' ["string", "integer"].
                shared = requested.setdefault(
                    component, {k: v for k, v in node.items() if k != "default"} | {"type": ["string", "integer"]}
                )
                # A field may add to the shared meaning (a default, a description of its own).
                own = {k: v for k, v in node.items() if k != "type" and shared.get(k) != v}
                return {"$ref": f"#/components/schemas/{component}", **own}
            plain = node.get("format") == "decimal" and node.get("type") == "string" and set(node) <= _PLAIN_DECIMAL
            # A schema only requests use keeps its own plain decimals (a rate sent in, for example).
            if plain and name in answers:
                signed = len(path) > 1 and path[0] == "properties" and (name, path[1]) in SIGNED
                return {
                    "$ref": f"#/components/schemas/{'SignedMoney' if signed else 'Money'}",
                    **({"default": node["default"]} if "default" in node else {}),
                }
            return {key: swap(value, name, (*path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [swap(value, name, (*path, str(i))) for i, value in enumerate(node)]
        return node

    for name in list(schemas):
        schemas[name] = swap(schemas[name], name, ())
    schemas["Money"] = MONEY
    schemas["SignedMoney"] = SIGNED_MONEY
    schemas.update(requested)


_PLAIN_DECIMAL = frozenset({"type", "format", "default"})


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(spec: dict[str, Any], part: str) -> set[str]:
    """The schemas that operations' request bodies or responses use, directly or through others."""
    schemas = spec["components"]["schemas"]
    found: set[str] = set()
    todo = [name for item in spec["paths"].values() for op in item.values() for name in _refs(op.get(part, {}))]
    while todo:
        name = todo.pop()
        if name not in found and name in schemas:
            found.add(name)
            todo.extend(_refs(schemas[name]))
    return found


def _enums(schemas: dict[str, Any]) -> None:
    """Closed sets as one component each, referred to wherever the set appears."""
    for name, (values, text) in ENUMS.items():
        schemas[name] = {"type": "string", "enum": sorted(get_args(values)), "description": text}

    def refer(prop: dict[str, Any], name: str) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{name}"}
        kept = {k: v for k, v in prop.items() if k in ("default", "description")}
        branches = prop.get("anyOf")
        if branches is None:
            return {**kept, **ref}
        return {**kept, "anyOf": [ref if b.get("type") == "string" or "enum" in b else b for b in branches]}

    for schema_name, component in list(schemas.items()):
        properties = component.get("properties", {})
        for name, places in ENUM_PROPERTIES.items():
            for place in places:
                owner, prop_name = place if isinstance(place, tuple) else (schema_name, place)
                if owner == schema_name and prop_name in properties:
                    properties[prop_name] = refer(properties[prop_name], name)
