"""Semantic checks that a record's types cannot express: real codes, check digits, sane amounts.

Structural checks (types, lengths, patterns) belong to the records' annotations; what is here needs
a code list or arithmetic. Each failing check becomes a FieldError at the field's JSON pointer.
This runs on every record of a bulk load, so it appends to one list with plain loops: generators
and per-field closures cost more here than the checks themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import (
    COUNTRIES,
    CURRENCIES,
    invalid_eori,
    invalid_s10,
    invalid_tax_scheme_id,
    invalid_vat,
    unknown_country,
    unknown_currency,
)
from clearway.dataset.records import Consignment, Order, Party, Payment, Waybill

# Amounts are exact decimals; these bounds refuse NaN, infinities, absurd magnitudes and more
# precision than any currency or weight needs (a hostile "1E+999999" must not reach arithmetic).
_MAX_AMOUNT = Decimal("1e12")
_MIN_EXPONENT = -6
_QUANTUM = Decimal(1).scaleb(_MIN_EXPONENT)
_ZERO = Decimal(0)
_ROLES = ("seller", "buyer", "platform", "consignee", "carrier", "declarant", "payment_provider")


def _decimal(out: list[FieldError], at: str, name: str, value: Decimal | None, positive: bool = False) -> None:
    """Check an amount; ``at`` and ``name`` make the pointer, built only when there is an error."""
    if value is None:
        return
    # Fast path for the usual, valid amount: a few C-level comparisons (as_tuple costs 4x more).
    if (
        value.is_finite()
        and _ZERO <= value < _MAX_AMOUNT
        and value.quantize(_QUANTUM) == value
        and (value or not positive)
    ):
        return
    pointer = f"{at}/{name}"
    if not value.is_finite():
        out.append(FieldError(pointer, "expected a finite decimal number"))
    elif value.as_tuple().exponent < _MIN_EXPONENT:  # type: ignore[operator]
        out.append(FieldError(pointer, "expected at most 6 decimal places"))
    elif abs(value) >= _MAX_AMOUNT:
        out.append(FieldError(pointer, "expected a number below 1,000,000,000,000"))
    elif positive and value <= 0:
        out.append(FieldError(pointer, "expected a number greater than 0"))
    elif value < 0:
        out.append(FieldError(pointer, "expected a number of 0 or more"))


def _identifier(
    out: list[FieldError], at: str, name: str, value: str | None, check: Callable[[str], str | None]
) -> None:
    if value is not None:
        message = check(value)
        if message is not None:
            out.append(FieldError(f"{at}/{name}", message))


def _country(out: list[FieldError], at: str, name: str, code: str | None) -> None:
    if code is not None and code not in COUNTRIES:
        out.append(FieldError(f"{at}/{name}", unknown_country(code) or ""))


def _currency(out: list[FieldError], at: str, name: str, code: str) -> None:
    if code not in CURRENCIES:
        out.append(FieldError(f"{at}/{name}", unknown_currency(code) or ""))


def _party(out: list[FieldError], at: str, party: Party | None) -> None:
    if party is None:
        return
    _country(out, at, "country", party.country)
    if party.address is not None:
        _country(out, at, "address/country", party.address.country)
    _identifier(out, at, "eori", party.eori, invalid_eori)
    _identifier(out, at, "vat", party.vat, invalid_vat)


_PARTY_POINTERS = tuple((role, f"/parties/{role}") for role in _ROLES)
_TRANSACTION_AMOUNTS = ("goods_value", "amount_paid", "freight", "insurance", "discount", "taxes_collected")


def consignment_errors(c: Consignment) -> list[FieldError]:
    out: list[FieldError] = []
    _country(out, "", "destination_country", c.destination_country)
    parties = c.parties
    for role, at in _PARTY_POINTERS:
        _party(out, at, getattr(parties, role))
    t = c.transaction
    _currency(out, "/transaction", "currency", t.currency)
    _identifier(out, "/transaction", "tax_scheme_id", t.tax_scheme_id, invalid_tax_scheme_id)
    for name in _TRANSACTION_AMOUNTS:
        _decimal(out, "/transaction", name, getattr(t, name))
    seen: set[int] = set()
    for index, item in enumerate(c.items):
        at = f"/items/{index}"
        _country(out, at, "origin_country", item.origin_country)
        _decimal(out, at, "quantity", item.quantity, positive=True)
        _decimal(out, at, "unit_price", item.unit_price)
        _decimal(out, at, "net_weight_kg", item.net_weight_kg)
        if item.line in seen:
            out.append(FieldError(f"{at}/line", f"line number {item.line} appears twice"))
        seen.add(item.line)
    logistics = c.logistics
    _decimal(out, "/logistics", "gross_weight_kg", logistics.gross_weight_kg, positive=True)
    if logistics.document_type == "upu_s10":
        _identifier(out, "/logistics", "transport_document", logistics.transport_document, invalid_s10)
    if c.flags.nature == "return" and c.flags.return_reference is None:
        out.append(FieldError("/flags/return_reference", "a return must name the consignment it returns"))
    return out


def order_errors(o: Order) -> list[FieldError]:
    out: list[FieldError] = []
    _currency(out, "", "currency", o.currency)
    _party(out, "/seller", o.seller)
    _party(out, "/buyer", o.buyer)
    _party(out, "/platform", o.platform)
    _identifier(out, "", "tax_scheme_id", o.tax_scheme_id, invalid_tax_scheme_id)
    for name in ("goods_value", "total", "shipping", "taxes_collected"):
        _decimal(out, "", name, getattr(o, name))
    for index, line in enumerate(o.lines):
        _decimal(out, f"/lines/{index}", "quantity", line.quantity, positive=True)
        _decimal(out, f"/lines/{index}", "unit_price", line.unit_price)
    return out


def payment_errors(p: Payment) -> list[FieldError]:
    out: list[FieldError] = []
    _currency(out, "", "currency", p.currency)
    _country(out, "/payer", "country", p.payer.country)
    _decimal(out, "", "amount", p.amount)
    return out


def waybill_errors(w: Waybill) -> list[FieldError]:
    out: list[FieldError] = []
    _country(out, "", "origin_country", w.origin_country)
    _country(out, "", "destination_country", w.destination_country)
    _party(out, "/consignee", w.consignee)
    _decimal(out, "", "gross_weight_kg", w.gross_weight_kg, positive=True)
    if w.document_type == "upu_s10":
        _identifier(out, "", "transport_document", w.transport_document, invalid_s10)
    return out


_CHECKS: dict[type, Callable[..., list[FieldError]]] = {
    Consignment: consignment_errors,
    Order: order_errors,
    Payment: payment_errors,
    Waybill: waybill_errors,
}


def semantic_errors(record: object) -> list[FieldError]:
    """Every semantic error of a structurally valid record (empty when it is valid)."""
    check = _CHECKS.get(type(record))
    return check(record) if check is not None else []


# The same checks for records defined outside the data set (the PLACI filing of risk.preloading).
decimal_errors = _decimal
country_errors = _country
party_errors = _party
