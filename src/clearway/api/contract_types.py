"""The document's types made exact: timestamps with their formats, money as one component (with its
sign where the domain has one), request amounts as one component each, closed sets as shared enums.

Passes over the finished components (api/contract.py runs them), and the walks over references
they and the audience filter share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, get_args

import msgspec

from clearway.clearance.decision import Lane
from clearway.clearance.linking import LinkStatus
from clearway.dataset.records import AMOUNT_PATTERN, POSITIVE_PATTERN
from clearway.revenue.model import CollectionModel
from clearway.risk.preloading import Answer, FilingStatus

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


def formats(schemas: dict[str, Any], types: Iterable[Any]) -> None:
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


def money(spec: dict[str, Any]) -> None:
    """Every amount the API answers with is Money (or SignedMoney, see SIGNED): a Decimal field without
    a description of its own (rates have one). Every amount or quantity a request sends is Amount or
    Quantity (REQUEST_DECIMALS), which also take a whole JSON number and say so."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    answers = set(schemas) - (reachable(spec, "requestBody") - reachable(spec, "responses"))
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


def reachable(spec: dict[str, Any], part: str) -> set[str]:
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


def enums(schemas: dict[str, Any]) -> None:
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
