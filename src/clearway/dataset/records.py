"""The canonical e-commerce data set (DOMAIN.md section 2) as typed records.

These msgspec Structs are the domain records: the API decodes request bodies straight into them,
the CLI builds them from NDJSON/CSV/Parquet, and the pipeline passes them around. Decoding is strict
(msgspec never coerces ``0`` into a date or ``""`` into a number) and unknown fields are refused so
that a misspelt field is an error, not silently lost data.

All amounts of a consignment are in ``transaction.currency``; each document carries its own
currency. Amounts are ``Decimal`` parsed from the JSON text itself, so no float ever touches money.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from clearway.dataset.identifiers import COUNTRIES, CURRENCIES, IOSS_MEMBER_STATES

# Field-length limits: generous for real data, small enough that a hostile payload cannot make us
# store megabytes in one name. They are part of the public schema (maxLength in the OpenAPI).
# Human text: at least one visible character, no control characters (a blank name or a NUL byte is
# never real data, and CSV would read a blank cell as absent: both formats must agree).
# The blanks are spelled out, not \s: Python's \s and JSON Schema's (ECMA) differ (U+0085, U+FEFF),
# and the document must refuse exactly what the server refuses: this class is the union of both.
# "$(?!\n)": Python's "$" also matches before a final newline, ECMA's does not.
_CONTROL = r"\x00-\x1f\x7f"
_BLANK = r"\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_VISIBLE = rf"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*$(?!\n)"
# An e-mail address as far as a pattern can say: one @, no blanks or controls around it.
EMAIL_PATTERN = rf"^[^@{_CONTROL}{_BLANK}]+@[^@{_CONTROL}{_BLANK}]+$(?!\n)"
_PRINTABLE = rf"^[^{_CONTROL}]*$(?!\n)"
VISIBLE_TEXT = _VISIBLE  # for other modules' text fields (a reason, a note) that are stored
# Why a person or an operator did something (a cancellation, a hold, a rule change): stored in the
# history and the audit chain, so no control characters (PostgreSQL refuses a NUL in text).
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_VISIBLE)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_VISIBLE)]
Text = Annotated[str, msgspec.Meta(max_length=500, pattern=_PRINTABLE)]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=512, pattern=_VISIBLE)]
_REF = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$(?!\n)"
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=_REF)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=35)]
_COUNTRY = r"^[A-Z]{2}$(?!\n)"
# The pattern is what decoding checks; the code lists (validate.py) are checked next, and the OpenAPI
# document lists them as enums so that a client (or a fuzzer) knows which codes exist.
CountryCode = Annotated[
    str, msgspec.Meta(min_length=2, max_length=2, pattern=_COUNTRY, extra_json_schema={"enum": sorted(COUNTRIES)})
]
_CURRENCY = r"^[A-Z]{3}$(?!\n)"
CurrencyCode = Annotated[
    str, msgspec.Meta(min_length=3, max_length=3, pattern=_CURRENCY, extra_json_schema={"enum": sorted(CURRENCIES)})
]
# An EORI number starts with its issuing country (identifiers.invalid_eori checks which after decoding).
_EORI_SCHEMA = "^(" + "|".join(sorted(COUNTRIES | {"XI"})) + ")[A-Z0-9]{1,15}$"
Eori = Annotated[str, msgspec.Meta(min_length=3, max_length=17, extra_json_schema={"pattern": _EORI_SCHEMA})]
# VAT numbers have a check digit per country (python-stdnum checks it, identifiers.invalid_vat):
# no pattern can say that, so the document names a format, and its description says what it means.
VatNumber = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=35,
        extra_json_schema={
            "format": "vat-number",
            "description": "A VAT number with its country prefix (DE136695984), valid by that country's check digits",
        },
    ),
]
# The registration used at checkout: any scheme's number, but one starting "IM" is an EU IOSS number,
# "IM", a member state's ISO numeric code and 7 digits (identifiers.invalid_tax_scheme_id).
_TAX_SCHEME_SCHEMA = "^([^I]|I$|I[^M]|IM(" + "|".join(sorted(IOSS_MEMBER_STATES)) + ")[0-9]{7}$)"
TaxSchemeId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=35,
        extra_json_schema={
            "pattern": _TAX_SCHEME_SCHEMA,
            "description": "The tax scheme registration (IOSS IM3720000015, VOEC, ABN, UK VAT ...)",
        },
    ),
]
_HS = r"^[0-9]{6}([0-9]{2}){0,2}$(?!\n)"
HsCode = Annotated[str, msgspec.Meta(min_length=6, max_length=10, pattern=_HS)]
# msgspec cannot bound a Decimal, so the sign and size of amounts are checked in validate.py: 0 or
# more, below 10^12, at most 6 decimal places; quantities and weights above 0. Amounts come as
# decimal text ("12.50") or as a whole JSON number (12): a JSON number with a fraction is refused,
# because most clients hold it as a binary float before they send it, and JSON Schema can state
# "at most 6 decimal places" of a number only through multipleOf, which validators evaluate in
# binary floating point (0.1 is not a multiple of 0.000001 there). The text form is exactly
# AMOUNT_TEXT: ASCII digits and an optional fraction, no sign, exponent, spaces or "_" (Python's
# Decimal reads all of those, and fullwidth or Arabic-Indic digits; decode.py refuses them).
AMOUNT_TEXT = r"^[0-9]+(\.[0-9]+)?\Z"  # \Z: "$" would let a final newline through
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$(?!\n)"
# Above 0: an integer part that is not 0, or 0 and a fraction with a digit other than 0 in its first six.
POSITIVE_PATTERN = (
    r"^([1-9][0-9]{0,11}(\.[0-9]{1,6})?|0\.("
    + "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{5 - zeros}}}" for zeros in range(6))
    + "))$"
)
_BELOW_10_12 = 10**12 - 1


def _decimal_schema(pattern: str, minimum: int, description: str) -> msgspec.Meta:
    # Keywords apply to their own type: pattern and maxLength to the text, the bounds to the number.
    return msgspec.Meta(
        description=description,
        extra_json_schema={
            "type": ["string", "integer"],
            "pattern": pattern,
            "maxLength": 19,
            "minimum": minimum,
            "maximum": _BELOW_10_12,
        },
    )


Amount = Annotated[
    Decimal,
    _decimal_schema(
        AMOUNT_PATTERN,
        0,
        'A decimal amount: text such as "12.50" (0 or more, below 10^12, at most 6 decimal places) or a'
        " whole JSON number",
    ),
]
Quantity = Annotated[
    Decimal,
    _decimal_schema(
        POSITIVE_PATTERN,
        1,
        'A decimal quantity or weight: text such as "0.45" (above 0, below 10^12, at most 6 decimal'
        " places) or a whole JSON number",
    ),
]
# Times must carry their UTC offset: a naive time is ambiguous across the borders a parcel crosses.
Timestamp = Annotated[dt.datetime, msgspec.Meta(tz=True)]
_URL = r"^https?://"
Url = Annotated[str, msgspec.Meta(max_length=2048, pattern=_URL)]

# What each pattern means, for error messages (a regex is no explanation for an integrator).
PATTERN_MEANINGS = {
    _VISIBLE: "expected text with at least one visible character and no control characters",
    _PRINTABLE: "expected text without control characters",
    _REF: "expected letters, digits and . _ : / - only, starting with a letter or digit",
    _COUNTRY: "expected an ISO 3166-1 alpha-2 country code (two capital letters)",
    _CURRENCY: "expected an ISO 4217 currency code (three capital letters)",
    _HS: "expected an HS code of 6, 8 or 10 digits",
    _URL: "expected an http:// or https:// address",
}

Nature = Literal["sale", "gift", "sample", "return", "documents"]
Relationship = Literal["B2C", "C2C", "B2B"]
TransportMode = Literal["air", "sea", "road", "rail", "post"]
DocumentType = Literal["house_waybill", "upu_s10", "master_waybill"]

# gc=False: records never form reference cycles, and untracked structs spare bulk loads most of
# the cyclic garbage collector's passes over millions of live objects.
_STRUCT = {"kw_only": True, "forbid_unknown_fields": True, "omit_defaults": True, "frozen": True, "gc": False}


class Address(msgspec.Struct, **_STRUCT):
    line1: Text
    city: Name
    country: CountryCode
    line2: Text | None = None
    postcode: Code | None = None


class Party(msgspec.Struct, **_STRUCT):
    """A person or firm: seller, platform, buyer, consignee, carrier, declarant, payment provider."""

    name: Name
    country: CountryCode
    address: Address | None = None
    eori: Eori | None = None
    vat: VatNumber | None = None
    email: Text | None = None
    phone: Code | None = None
    id_type: Code | None = None
    id_number: Code | None = None
    # The party's operator id at customs when it sends its own documents (a platform's orders, a
    # payment provider's payments, a carrier's waybills): a declaration links only documents from
    # the operators it names here, or from its declarant (clearance.senders). China's messages
    # carry the same as ebpCode, payCode and logisticsCode.
    operator_id: Ref | None = None


class Parties(msgspec.Struct, **_STRUCT):
    seller: Party
    buyer: Party
    platform: Party | None = None
    consignee: Party | None = None
    carrier: Party | None = None
    declarant: Party | None = None
    payment_provider: Party | None = None


class Transaction(msgspec.Struct, **_STRUCT):
    order_number: Ref
    order_date: Timestamp
    currency: CurrencyCode
    goods_value: Amount
    amount_paid: Amount
    freight: Amount = Decimal(0)
    insurance: Amount = Decimal(0)
    discount: Amount = Decimal(0)
    taxes_collected: Amount = Decimal(0)
    payment_id: Ref | None = None
    tax_scheme_id: TaxSchemeId | None = None


class Item(msgspec.Struct, **_STRUCT):
    line: Annotated[int, msgspec.Meta(ge=1, le=999)]
    description: Description
    hs_code: HsCode
    quantity: Quantity
    unit_price: Amount
    origin_country: CountryCode
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=8)] = "pcs"
    sku: Code | None = None
    brand: Name | None = None
    model: Name | None = None
    net_weight_kg: Amount | None = None
    listing_url: Url | None = None

    @property
    def line_value(self) -> Decimal:
        return self.quantity * self.unit_price


class Logistics(msgspec.Struct, **_STRUCT):
    transport_document: Ref
    transport_mode: TransportMode
    packages: Annotated[int, msgspec.Meta(ge=1, le=9999)]
    gross_weight_kg: Quantity
    document_type: DocumentType = "house_waybill"
    master_waybill: Ref | None = None
    flight_or_voyage: Code | None = None
    port_of_loading: Code | None = None
    port_of_entry: Code | None = None
    departure_date: dt.date | None = None
    arrival_date: dt.date | None = None


class Flags(msgspec.Struct, **_STRUCT):
    nature: Nature = "sale"
    relationship: Relationship = "B2C"
    return_reference: Ref | None = None


class Consignment(msgspec.Struct, **_STRUCT):
    """The simplified declaration of one parcel, as an operator submits it."""

    reference: Ref
    destination_country: CountryCode
    parties: Parties
    transaction: Transaction
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=999)]
    logistics: Logistics
    flags: Flags = msgspec.field(default_factory=Flags)


class OrderLine(msgspec.Struct, **_STRUCT):
    description: Description
    quantity: Quantity
    unit_price: Amount
    sku: Code | None = None


class Order(msgspec.Struct, **_STRUCT):
    """The order as the platform (or the seller's shop) recorded it."""

    order_number: Ref
    order_date: Timestamp
    currency: CurrencyCode
    seller: Party
    buyer: Party
    lines: Annotated[list[OrderLine], msgspec.Meta(min_length=1, max_length=999)]
    goods_value: Amount
    total: Amount
    shipping: Amount = Decimal(0)
    taxes_collected: Amount = Decimal(0)
    tax_scheme_id: TaxSchemeId | None = None
    platform: Party | None = None
    # Who was paid and under which transaction, as the platform recorded it. Where the declaration
    # names no payment provider (China's inventory list reaches the payment through the order), the
    # payment counts from the provider the linked order names (clearance.documents).
    payment_provider: Party | None = None
    payment_id: Ref | None = None


class Payer(msgspec.Struct, **_STRUCT):
    name: Name
    country: CountryCode | None = None
    account: Code | None = None
    # True when the payment provider authenticated the payer (strong customer authentication) as
    # the ordering buyer, which lets a payer differ from the orderer (a gift card, a parent's card).
    authenticated: bool = False


class Payment(msgspec.Struct, **_STRUCT):
    """A payment record from the payment provider."""

    payment_id: Ref
    order_number: Ref
    provider: Name
    payer: Payer
    amount: Amount
    currency: CurrencyCode
    paid_at: Timestamp


class Waybill(msgspec.Struct, **_STRUCT):
    """The carrier's transport document (house waybill or UPU S10 item)."""

    transport_document: Ref
    carrier: Name
    consignee: Party
    origin_country: CountryCode
    destination_country: CountryCode
    packages: Annotated[int, msgspec.Meta(ge=1, le=9999)]
    gross_weight_kg: Quantity
    transport_mode: TransportMode
    document_type: DocumentType = "house_waybill"
    order_number: Ref | None = None
    master_waybill: Ref | None = None
    departure_date: dt.date | None = None


# Rules between fields of one object, which the per-field annotations cannot carry: added to the
# objects' schemas in the OpenAPI document, checked by validate.py. Written as if/then (OpenAPI 3.1's
# JSON Schema): client generators keep one type for the object and leave the rule to the server,
# where anyOf branches made them split it into variant types that could not carry every field
# (openapi-python-client 0.29: WaybillType0 without upu_s10, WaybillType1 with two fields).
_S10_WHEN_UPU: dict[str, object] = {
    "if": {"properties": {"document_type": {"const": "upu_s10"}}, "required": ["document_type"]},
    "then": {
        "properties": {
            "transport_document": {
                "format": "upu-s10",
                "description": "A UPU S10 item id: 2 letters, 8 digits, the check digit, the ISO country code",
            }
        }
    },
}
SCHEMA_RULES: dict[str, dict[str, object]] = {
    "Logistics": _S10_WHEN_UPU,
    "Waybill": _S10_WHEN_UPU,
    # A return names the consignment it returns.
    "Flags": {
        "if": {"properties": {"nature": {"const": "return"}}, "required": ["nature"]},
        "then": {"properties": {"return_reference": {"not": {"type": "null"}}}, "required": ["return_reference"]},
    },
}

Document = Order | Payment | Waybill
DocumentKind = Literal["order", "payment", "waybill"]

DOCUMENT_TYPES: dict[str, type[Order] | type[Payment] | type[Waybill]] = {
    "order": Order,
    "payment": Payment,
    "waybill": Waybill,
}


def document_number(doc: Document) -> str:
    """The key a document is linked by: order number, payment id or transport document."""
    if isinstance(doc, Order):
        return doc.order_number
    if isinstance(doc, Payment):
        return doc.payment_id
    return doc.transport_document
