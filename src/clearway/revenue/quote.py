"""The public quote: a stable request and response contract around the revenue engine.

``POST /v1/quotes`` and ``clearway quote FILE`` take the same request and give the same response.
A quote assesses one parcel as if it were imported on ``as_of``; it never reads anyone's history
(a buyer's annual quota is checked when the parcel is declared, not in a public quote).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import COUNTRIES, invalid_tax_scheme_id, unknown_country, unknown_currency
from clearway.dataset.records import (
    Amount,
    CountryCode,
    CurrencyCode,
    Description,
    HsCode,
    Quantity,
    TaxSchemeId,
)
from clearway.dataset.validate import decimal_errors
from clearway.jurisdictions.territories import Territories
from clearway.revenue.model import Assessment, CollectionModel, ExchangeRate, Goods, Line, Nature, Shipment, Warning

QuoteTransport = Literal["air", "sea", "road", "rail", "post", "courier"]
_STRUCT = {"kw_only": True, "forbid_unknown_fields": True, "frozen": True}
_MAX_RATE = Decimal(1000)
# A duty rate in percent, 0 to 1000, as text with at most 6 decimal places or a whole JSON number
# (the amounts' forms, records.py).
Percentage = Annotated[
    Decimal,
    msgspec.Meta(
        description='A percentage ("12" is 12 %) from 0 to 1000: text such as "4.5" or a whole JSON number',
        extra_json_schema={
            "type": ["string", "integer"],
            "pattern": r"^(1000(\.0{1,6})?|[0-9]{1,3}(\.[0-9]{1,6})?)$",
            "maxLength": 11,
            "minimum": 0,
            "maximum": 1000,
        },
    ),
]


# Places a request may name besides ISO 3166-1 countries: the EU's codes for territories that have
# none (XI Northern Ireland, IC the Canary Islands, XC Ceuta, XL Melilla; territories.yaml).
TERRITORY_CODES: frozenset[str] = frozenset(Territories.load().codes()) - COUNTRIES
PlaceCode = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=2,
        pattern=r"^[A-Z]{2}$(?!\n)",
        description="An ISO 3166-1 alpha-2 country code, or the EU's code of a territory that has none "
        "(XI Northern Ireland, IC the Canary Islands, XC Ceuta, XL Melilla)",
        extra_json_schema={"enum": sorted(COUNTRIES | TERRITORY_CODES)},
    ),
]
_POSTCODE = r"^[A-Za-z0-9]([A-Za-z0-9 -]{0,10}[A-Za-z0-9])?$(?!\n)"
_POSTCODE_TEXT = re.compile(_POSTCODE)  # "$(?!\n)": no final newline either
Postcode = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=12,
        pattern=_POSTCODE,
        description="The postcode, as the country's post writes it (78266, 35001, BT1 1AA): it places a "
        "territory the country code does not name (Büsingen, the Canary Islands, Northern Ireland...)",
    ),
]


class QuoteItem(msgspec.Struct, **_STRUCT):
    description: Description
    hs_code: HsCode
    quantity: Quantity
    unit_value: Amount
    origin: CountryCode
    # A percentage ("12" is 12 %), as tariffs print it; used instead of the tariff and reported so.
    duty_rate: Percentage | None = None
    net_weight_kg: Amount | None = None


class QuoteRequest(msgspec.Struct, **_STRUCT):
    destination: PlaceCode
    as_of: dt.date
    currency: CurrencyCode
    origin_country: PlaceCode
    items: Annotated[list[QuoteItem], msgspec.Meta(min_length=1, max_length=999)]
    nature: Nature = "sale"
    transport_mode: QuoteTransport | None = None
    shipping: Amount = Decimal(0)
    insurance: Amount = Decimal(0)
    tax_scheme_id: TaxSchemeId | None = None
    buyer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    destination_postcode: Postcode | None = None
    origin_postcode: Postcode | None = None


class QuoteResponse(msgspec.Struct, kw_only=True):
    destination: str
    as_of: dt.date
    currency: str
    irg_category: int
    collection_model: CollectionModel
    duty: Decimal | None
    tax: Decimal | None
    fees: Decimal | None
    total: Decimal | None
    complete: bool
    lines: list[Line]
    warnings: list[Warning]
    parameters: list[str]
    tax_scheme: str | None = None
    # The same object as an assessment's: the rate, who published it and when, and the rule that chose it.
    exchange_rate: ExchangeRate | None = None


def semantic_errors(request: QuoteRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    for pointer, code in (("/destination", request.destination), ("/origin_country", request.origin_country)):
        message = unknown_country(code)
        if message and code not in TERRITORY_CODES:
            errors.append(FieldError(pointer, f"{message}, nor the EU's code of a territory"))
    for pointer, postcode in (
        ("/destination_postcode", request.destination_postcode),
        ("/origin_postcode", request.origin_postcode),
    ):
        if postcode is not None and not _POSTCODE_TEXT.match(postcode):
            errors.append(FieldError(pointer, "expected a postcode: letters, digits, spaces and hyphens"))
    message = unknown_currency(request.currency)
    if message:
        errors.append(FieldError("/currency", message))
    if request.tax_scheme_id is not None:
        message = invalid_tax_scheme_id(request.tax_scheme_id)
        if message:
            errors.append(FieldError("/tax_scheme_id", message))
    # The declarations' bounds (dataset.validate): 0 or more, below 10^12, at most 6 decimal places.
    decimal_errors(errors, "", "shipping", request.shipping)
    decimal_errors(errors, "", "insurance", request.insurance)
    for index, item in enumerate(request.items):
        base = f"/items/{index}"
        message = unknown_country(item.origin)
        if message:
            errors.append(FieldError(f"{base}/origin", message))
        decimal_errors(errors, base, "unit_value", item.unit_value)
        decimal_errors(errors, base, "quantity", item.quantity, positive=True)
        decimal_errors(errors, base, "net_weight_kg", item.net_weight_kg)
        if item.duty_rate is not None:
            before = len(errors)
            decimal_errors(errors, base, "duty_rate", item.duty_rate)
            if len(errors) == before and item.duty_rate > _MAX_RATE:
                errors.append(FieldError(f"{base}/duty_rate", "expected a percentage between 0 and 1000"))
    return errors


class QuoteDecoder:
    """Decode a quote request, reporting every failing field with its JSON pointer."""

    def __init__(self) -> None:
        self._decoder = RecordDecoder(QuoteRequest, semantic_errors)

    def decode(self, data: bytes | str) -> tuple[QuoteRequest | None, list[FieldError]]:
        return self._decoder.decode(data)

    def convert(self, raw: object) -> tuple[QuoteRequest | None, list[FieldError]]:
        return self._decoder.convert(raw)


def to_shipment(request: QuoteRequest) -> Shipment:
    return Shipment(
        destination=request.destination,
        as_of=request.as_of,
        currency=request.currency,
        origin_country=request.origin_country,
        items=[
            Goods(
                line=index,
                description=item.description,
                hs_code=item.hs_code,
                quantity=item.quantity,
                unit_value=item.unit_value,
                origin=item.origin,
                duty_rate=None if item.duty_rate is None else item.duty_rate / 100,
                net_weight_kg=item.net_weight_kg,
            )
            for index, item in enumerate(request.items, start=1)
        ],
        nature=request.nature,
        transport_mode=request.transport_mode,
        channel="post" if request.transport_mode == "post" else "courier",
        shipping=request.shipping,
        insurance=request.insurance,
        tax_scheme_id=request.tax_scheme_id,
        buyer_id=request.buyer_id,
        destination_postcode=request.destination_postcode,
        origin_postcode=request.origin_postcode,
    )


def response(assessment: Assessment, *, buyer_id: str | None = None) -> QuoteResponse:
    warnings = list(assessment.warnings)
    if buyer_id is not None:
        warnings.append(
            Warning(
                code="quota_not_checked",
                message="a quote does not read the buyer's history: per-person limits are checked at import",
            )
        )
    return QuoteResponse(
        destination=assessment.destination,
        as_of=assessment.as_of,
        currency=assessment.currency,
        irg_category=assessment.irg_category,
        collection_model=assessment.collection_model,
        duty=assessment.duty,
        tax=assessment.tax,
        fees=assessment.fees,
        total=assessment.total,
        complete=assessment.complete,
        lines=assessment.lines,
        warnings=warnings,
        parameters=assessment.parameters,
        tax_scheme=assessment.tax_scheme,
        exchange_rate=assessment.exchange_rate,
    )
