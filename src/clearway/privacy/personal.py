"""THE list of personal fields: which fields of the records identify a natural person, and how.

Everything that protects personal data (pseudonymised exports, retention, the analysts' view)
reads this module; nothing else decides what is personal. Every field of ``Party``, ``Address``
and ``Payer`` is classified here, as personal (with a category) or as not personal (with the
reason), and a test fails when a field is added to those records without a decision.

Decisions (docs/privacy.md explains them for readers outside the code):

- Parties are people or firms, and a record does not say which. The buyer and the consignee are
  natural persons (they are consumers in the flows this platform clears). The seller is treated
  as one too: on marketplaces many sellers are private persons (C2C) or sole traders, whose name,
  address and tax numbers are personal data; an export that pseudonymises sellers still groups
  each seller's parcels under one pseudonym. The declarant is treated as one too, since an
  addressee may declare their own parcel.
- The platform, the carrier and the payment provider are firms by definition (a marketplace, a
  transport company, a licensed payment institution): their names, addresses and registration
  numbers (EORI, VAT) are not personal data and are kept. Their e-mail address and phone number
  are personal: a contact at a firm is often one named employee.
- For a person: the name, the street lines, the postcode and the city are personal. The city is
  personal too because a city, a date and the goods single out a buyer in a small town; the
  country is kept (statistics need it, and one country holds millions of people). ``id_type`` is
  a code (passport, national id) and is kept; ``id_number``, EORI and VAT numbers, and the
  payer's account are identifiers and are personal.
- Transaction numbers (order number, payment id, transport document), item descriptions, amounts
  and dates are not listed: they identify a parcel, not a person, and linking needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from clearway.dataset.records import Consignment, Order, Payment, Waybill

Record = Consignment | Order | Payment | Waybill
RECORD_TYPES: tuple[type[Record], ...] = (Consignment, Order, Payment, Waybill)


class Category(StrEnum):
    IDENTITY = "identity"  # who someone is: a name
    CONTACT = "contact"  # how to reach them: e-mail address, phone number
    ADDRESS = "address"  # where they live: street lines, postcode, city
    IDENTIFIER = "identifier"  # a number that singles them out: ID document, EORI, VAT, account


@dataclass(frozen=True, slots=True)
class Rule:
    """The decision for one field: personal (with a category) or not, and why."""

    category: Category | None
    why: str
    # The field holds a nested record (an Address) whose own fields have their own rules.
    nested: bool = False

    @property
    def personal(self) -> bool:
        return self.category is not None


def _personal(category: Category, why: str) -> Rule:
    return Rule(category, why)


def _not_personal(why: str) -> Rule:
    return Rule(None, why)


_NESTED = Rule(None, "an Address: its own fields are classified in the address rules", nested=True)
_COUNTRY = _not_personal("one country holds millions of people; statistics and jurisdiction need it")

# A party who is, or may be, a natural person: buyer, consignee, seller, declarant.
PERSON_PARTY: Mapping[str, Rule] = {
    "name": _personal(Category.IDENTITY, "a person's name"),
    "country": _COUNTRY,
    "address": _NESTED,
    "eori": _personal(Category.IDENTIFIER, "a natural person's or sole trader's EORI number"),
    "vat": _personal(Category.IDENTIFIER, "a sole trader's VAT number"),
    "email": _personal(Category.CONTACT, "an e-mail address"),
    "phone": _personal(Category.CONTACT, "a phone number"),
    "id_type": _not_personal("a code (passport, national id): says what kind of number, not whose"),
    "id_number": _personal(Category.IDENTIFIER, "the number of an identity document"),
    "operator_id": _not_personal("a registered operator's id at customs: says which firm sends documents"),
}

# A party that is a firm by definition: platform, carrier, payment provider.
FIRM_PARTY: Mapping[str, Rule] = {
    "name": _not_personal("a firm's trade name"),
    "country": _COUNTRY,
    "address": _NESTED,
    "eori": _not_personal("a firm's customs registration: public, and customs work needs it"),
    "vat": _not_personal("a firm's VAT registration: public, and customs work needs it"),
    "email": _personal(Category.CONTACT, "a contact at a firm is often one named employee"),
    "phone": _personal(Category.CONTACT, "a contact at a firm is often one named employee"),
    "id_type": _not_personal("a code: says what kind of number, not whose"),
    "id_number": _not_personal("a firm's registration number"),
    "operator_id": _not_personal("a registered operator's id at customs: says which firm sends documents"),
}

PERSON_ADDRESS: Mapping[str, Rule] = {
    "line1": _personal(Category.ADDRESS, "street and house number"),
    "line2": _personal(Category.ADDRESS, "flat, floor, building"),
    "postcode": _personal(Category.ADDRESS, "a postcode narrows an address to a few streets"),
    "city": _personal(Category.ADDRESS, "with a date and the goods, a town singles out a buyer"),
    "country": _COUNTRY,
}

FIRM_ADDRESS: Mapping[str, Rule] = {
    "line1": _not_personal("a business address"),
    "line2": _not_personal("a business address"),
    "postcode": _not_personal("a business address"),
    "city": _not_personal("a business address"),
    "country": _COUNTRY,
}

PAYER: Mapping[str, Rule] = {
    "name": _personal(Category.IDENTITY, "the name of the person who paid"),
    "country": _COUNTRY,
    "account": _personal(Category.IDENTIFIER, "a (masked) card or account number"),
    "authenticated": _not_personal("yes or no: whether the payment provider authenticated the payer"),
}

PartyKind = Literal["person", "firm"]

# Every role in clearway.dataset.records.Parties, and whether it is (or may be) a person.
ROLES: Mapping[str, PartyKind] = {
    "seller": "person",
    "buyer": "person",
    "consignee": "person",
    "declarant": "person",
    "platform": "firm",
    "carrier": "firm",
    "payment_provider": "firm",
}

_PARTY_RULES: Mapping[PartyKind, tuple[Mapping[str, Rule], Mapping[str, Rule]]] = {
    "person": (PERSON_PARTY, PERSON_ADDRESS),
    "firm": (FIRM_PARTY, FIRM_ADDRESS),
}

# Where the parties are in each record: (path to the Party, its role). Payment has a Payer.
PARTY_LOCATIONS: Mapping[type[Record], tuple[tuple[tuple[str, ...], str], ...]] = {
    Consignment: tuple((("parties", role), role) for role in ROLES),
    Order: (
        (("seller",), "seller"),
        (("buyer",), "buyer"),
        (("platform",), "platform"),
        (("payment_provider",), "payment_provider"),
    ),
    Payment: (),
    Waybill: ((("consignee",), "consignee"),),
}
PAYER_LOCATIONS: Mapping[type[Record], tuple[tuple[str, ...], ...]] = {
    Consignment: (),
    Order: (),
    Payment: (("payer",),),
    Waybill: (),
}


@dataclass(frozen=True, slots=True)
class PersonalField:
    """One personal field of a record type: its path from the record, and its category."""

    path: tuple[str, ...]
    category: Category

    @property
    def name(self) -> str:
        """The field's own name (``line1``, ``email``): how it is pseudonymised depends on it."""
        return self.path[-1]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def _party_fields(at: tuple[str, ...], kind: PartyKind) -> list[PersonalField]:
    party_rules, address_rules = _PARTY_RULES[kind]
    found: list[PersonalField] = []
    for name, rule in party_rules.items():
        if rule.nested:
            found.extend(
                PersonalField((*at, name, sub), r.category)
                for sub, r in address_rules.items()
                if r.category is not None
            )
        elif rule.category is not None:
            found.append(PersonalField((*at, name), rule.category))
    return found


def _fields_of(record_type: type[Record]) -> tuple[PersonalField, ...]:
    found: list[PersonalField] = []
    for at, role in PARTY_LOCATIONS[record_type]:
        found.extend(_party_fields(at, ROLES[role]))
    for at in PAYER_LOCATIONS[record_type]:
        found.extend(PersonalField((*at, name), r.category) for name, r in PAYER.items() if r.category is not None)
    return tuple(found)


# THE list: every personal field of every record type, in a stable order.
PERSONAL_FIELDS: Mapping[type[Record], tuple[PersonalField, ...]] = {t: _fields_of(t) for t in RECORD_TYPES}


def personal_fields(record_type: type[Record]) -> tuple[PersonalField, ...]:
    """The personal fields of a record type (Consignment, Order, Payment or Waybill)."""
    return PERSONAL_FIELDS[record_type]
