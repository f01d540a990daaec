"""The list of personal fields is complete: no field of a party, an address or a payer, no party
role and no place a party sits in a record escapes a decision; the docs list the same fields."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import msgspec
import pytest

from clearway.dataset.records import Address, Consignment, Order, Parties, Party, Payer, Payment, Waybill
from clearway.privacy.personal import (
    FIRM_ADDRESS,
    FIRM_PARTY,
    PARTY_LOCATIONS,
    PAYER,
    PAYER_LOCATIONS,
    PERSON_ADDRESS,
    PERSON_PARTY,
    PERSONAL_FIELDS,
    RECORD_TYPES,
    ROLES,
    Category,
    Rule,
    personal_fields,
)

ROOT = Path(__file__).resolve().parents[2]
PRIVACY_SRC = ROOT / "src" / "clearway" / "privacy"
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "alembic", "httpx", "requests", "jinja2", "uvicorn"}


def field_names(cls: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in msgspec.structs.fields(cls)}


@pytest.mark.parametrize(
    ("cls", "rules"),
    [
        (Party, PERSON_PARTY),
        (Party, FIRM_PARTY),
        (Address, PERSON_ADDRESS),
        (Address, FIRM_ADDRESS),
        (Payer, PAYER),
    ],
    ids=["person party", "firm party", "person address", "firm address", "payer"],
)
def test_every_field_has_a_decision(cls: type[msgspec.Struct], rules: dict[str, Rule]) -> None:
    """A new field on Party, Address or Payer fails here until someone decides whether it is personal."""
    assert set(rules) == field_names(cls)
    for name, rule in rules.items():
        assert rule.why.strip(), f"{cls.__name__}.{name}: say why"
        assert rule.personal == (rule.category is not None)


def test_only_the_address_is_nested() -> None:
    for rules in (PERSON_PARTY, FIRM_PARTY):
        assert {name for name, rule in rules.items() if rule.nested} == {"address"}
        assert not rules["address"].personal


def test_every_party_role_is_a_person_or_a_firm() -> None:
    assert set(ROLES) == field_names(Parties)
    assert {ROLES[r] for r in ("buyer", "consignee")} == {"person"}
    assert {ROLES[r] for r in ("platform", "carrier", "payment_provider")} == {"firm"}


def struct_paths(cls: type[msgspec.Struct], target: type, at: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every path from ``cls`` to a field of type ``target`` (optional or not)."""
    found: set[tuple[str, ...]] = set()
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    for f in info.fields:
        options = f.type.types if isinstance(f.type, msgspec.inspect.UnionType) else (f.type,)
        for option in options:
            if isinstance(option, msgspec.inspect.StructType):
                if option.cls is target:
                    found.add((*at, f.name))
                else:
                    found |= struct_paths(option.cls, target, (*at, f.name))
    return found


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_party_and_payer_in_a_record_is_located(record_type: type[msgspec.Struct]) -> None:
    located_parties = {path for path, _role in PARTY_LOCATIONS[record_type]}  # type: ignore[index]
    assert struct_paths(record_type, Party) == located_parties
    assert struct_paths(record_type, Payer) == set(PAYER_LOCATIONS[record_type])  # type: ignore[index]
    for path, role in PARTY_LOCATIONS[record_type]:  # type: ignore[index]
        assert role in ROLES and path[-1] == role


def test_the_list_per_record_type() -> None:
    assert set(PERSONAL_FIELDS) == {Consignment, Order, Payment, Waybill}
    buyer = {f.dotted: f.category for f in personal_fields(Order) if f.path[0] == "buyer"}
    assert buyer == {
        "buyer.name": Category.IDENTITY,
        "buyer.address.line1": Category.ADDRESS,
        "buyer.address.line2": Category.ADDRESS,
        "buyer.address.postcode": Category.ADDRESS,
        "buyer.address.city": Category.ADDRESS,
        "buyer.eori": Category.IDENTIFIER,
        "buyer.vat": Category.IDENTIFIER,
        "buyer.email": Category.CONTACT,
        "buyer.phone": Category.CONTACT,
        "buyer.id_number": Category.IDENTIFIER,
    }
    platform = {f.dotted for f in personal_fields(Order) if f.path[0] == "platform"}
    assert platform == {"platform.email", "platform.phone"}
    assert {f.dotted for f in personal_fields(Payment)} == {"payer.name", "payer.account"}
    consignment = {f.dotted for f in personal_fields(Consignment)}
    assert "parties.consignee.address.postcode" in consignment
    assert not any(p.endswith((".country", ".id_type")) for p in consignment)
    assert "parties.carrier.name" not in consignment
    for fields in PERSONAL_FIELDS.values():
        assert len({f.path for f in fields}) == len(fields)


def test_the_docs_list_exactly_the_personal_fields() -> None:
    text = (ROOT / "docs" / "privacy.md").read_text()
    listed = {f"{t.__name__}.{f.dotted}": f.category.value for t, fields in PERSONAL_FIELDS.items() for f in fields}
    documented = dict(re.findall(r"^\| `((?:Consignment|Order|Payment|Waybill)\.[a-z_.0-9]+)` \| (\w+) \|", text, re.M))
    assert documented == listed


def test_the_privacy_core_is_pure() -> None:
    files = list(PRIVACY_SRC.rglob("*.py"))
    assert files
    for path in files:
        roots: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
        assert not roots & FORBIDDEN, path.name
