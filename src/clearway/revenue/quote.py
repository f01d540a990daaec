"""The public quote: a stable request and response contract around the revenue engine.

``POST /v1/quotes`` and ``clearway quote FILE`` take the same request and give the same response.
A quote assesses one parcel as if it were imported on ``as_of``; it never reads anyone's history
(a buyer's annual quota is checked when the parcel is declared, not in a public quote).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import unknown_country, unknown_currency
from clearway.dataset.records import CountryCode, CurrencyCode, Description, HsCode
from clearway.revenue.model import Assessment, Goods, Line, Nature, Shipment, Warning

QuoteTransport = Literal["air", "sea", "road", "rail", "post", "courier"]
_STRUCT = {"kw_only": True, "forbid_unknown_fields": True, "frozen": True}
_MAX_AMOUNT = Decimal("1e12")


class QuoteItem(msgspec.Struct, **_STRUCT):
    description: Description
    hs_code: HsCode
    quantity: Decimal
    unit_value: Decimal
    origin: CountryCode
    # A percentage ("12" is 12 %), as tariffs print it; used instead of the tariff and reported so.
    duty_rate: Decimal | None = None
    net_weight_kg: Decimal | None = None


class QuoteRequest(msgspec.Struct, **_STRUCT):
    destination: CountryCode
    as_of: dt.date
    currency: CurrencyCode
    origin_country: CountryCode
    items: Annotated[list[QuoteItem], msgspec.Meta(min_length=1, max_length=999)]
    nature: Nature = "sale"
    transport_mode: QuoteTransport | None = None
    shipping: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    tax_scheme_id: Annotated[str, msgspec.Meta(min_length=1, max_length=35)] | None = None
    buyer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class QuoteResponse(msgspec.Struct, kw_only=True):
    destination: str
    as_of: dt.date
    currency: str
    irg_category: int
    collection_model: str
    duty: Decimal
    tax: Decimal
    fees: Decimal
    total: Decimal
    complete: bool
    lines: list[Line]
    warnings: list[Warning]
    parameters: list[str]
    tax_scheme: str | None = None
    exchange_rate: dict[str, str] | None = None


def semantic_errors(request: QuoteRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    for pointer, code in (("/destination", request.destination), ("/origin_country", request.origin_country)):
        message = unknown_country(code)
        if message:
            errors.append(FieldError(pointer, message))
    message = unknown_currency(request.currency)
    if message:
        errors.append(FieldError("/currency", message))
    for pointer, amount in (("/shipping", request.shipping), ("/insurance", request.insurance)):
        errors.extend(_amount(pointer, amount))
    for index, item in enumerate(request.items):
        base = f"/items/{index}"
        message = unknown_country(item.origin)
        if message:
            errors.append(FieldError(f"{base}/origin", message))
        errors.extend(_amount(f"{base}/unit_value", item.unit_value))
        if not item.quantity.is_finite() or item.quantity <= 0 or item.quantity > _MAX_AMOUNT:
            errors.append(FieldError(f"{base}/quantity", "expected a positive number"))
        if item.duty_rate is not None and (not item.duty_rate.is_finite() or not 0 <= item.duty_rate <= 1000):
            errors.append(FieldError(f"{base}/duty_rate", "expected a percentage between 0 and 1000"))
        if item.net_weight_kg is not None:
            errors.extend(_amount(f"{base}/net_weight_kg", item.net_weight_kg))
    return errors


def _amount(pointer: str, amount: Decimal) -> list[FieldError]:
    if not amount.is_finite() or amount < 0 or amount > _MAX_AMOUNT:
        return [FieldError(pointer, "expected a non-negative decimal amount")]
    return []


class QuoteDecoder:
    """Decode a quote request, reporting every failing field with its JSON pointer."""

    def __init__(self) -> None:
        self._decoder = RecordDecoder(QuoteRequest)

    def decode(self, data: bytes | str) -> tuple[QuoteRequest | None, list[FieldError]]:
        request, errors = self._decoder.decode(data)
        if request is None:
            return None, errors
        errors = semantic_errors(request)
        return (None, errors) if errors else (request, [])

    def convert(self, raw: object) -> tuple[QuoteRequest | None, list[FieldError]]:
        request, errors = self._decoder.convert(raw)
        if request is None:
            return None, errors
        errors = semantic_errors(request)
        return (None, errors) if errors else (request, [])


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
    rate = assessment.exchange_rate
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
        exchange_rate=None
        if rate is None
        else {
            "source": rate.source,
            "from": rate.currency,
            "to": rate.to,
            "rate": f"{rate.rate:f}",
            "date": rate.date.isoformat(),
        },
    )
