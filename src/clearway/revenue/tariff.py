"""Tariff measures with validity dates, and the duty a measure's expression gives.

A measure's duty expression is a list of terms: the first group adds up; a ``max`` term starts a
cap ("MAX" in a tariff means *capped at*: the smaller of the two) and a ``min`` term starts a floor
("MIN" means *at least*: the larger). Terms after a ``max``/``min`` with op ``+`` add to that cap or
floor, as in "12.8 % + 176.8 GBP / 100 kg MAX 18.9 % + 18.7 GBP / 100 kg".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Literal

import msgspec

TermOp = Literal["+", "max", "min"]
# What a specific duty is counted in: per item, per kilogram (net), per 100 kg, per litre, per 1000 items.
Unit = Literal["item", "kg", "100kg", "l", "1000items"]
_UNIT_SCALE: dict[str, tuple[str, Decimal]] = {
    "item": ("item", Decimal(1)),
    "1000items": ("item", Decimal(1000)),
    "kg": ("kg", Decimal(1)),
    "100kg": ("kg", Decimal(100)),
    "l": ("l", Decimal(1)),
}


# What a measure is. Quotas need an order number and an allocation, end-use relief an authorisation:
# the declaration has to claim them, so TariffBook.find never applies them on its own.
MEASURE_TYPES = frozenset({"third_country", "preference", "suspension", "quota", "end_use"})
CLAIMED_TYPES = frozenset({"quota", "end_use"})


class DutyTerm(msgspec.Struct, frozen=True, kw_only=True):
    op: TermOp = "+"
    # ad_valorem: amount is a percentage (12.8 means 12.8 %); specific: money per unit.
    kind: Literal["ad_valorem", "specific"]
    amount: Decimal
    currency: str | None = None
    unit: Unit | None = None


class TariffMeasure(msgspec.Struct, frozen=True, kw_only=True):
    jurisdiction: str
    code: str  # a commodity code or prefix; the longest matching prefix wins
    terms: list[DutyTerm]
    start: dt.date
    end: dt.date | None = None
    origins: list[str] | None = None  # None: erga omnes (any origin)
    measure_type: str = "third_country"
    expression: str = ""
    reference: str = ""
    source: str = ""

    def in_force(self, as_of: dt.date) -> bool:
        return self.start <= as_of and (self.end is None or as_of <= self.end)

    def ad_valorem(self) -> Decimal | None:
        """The measure's rate as a fraction when it is a single ad valorem term (12 % -> 0.12), else None."""
        if len(self.terms) == 1 and self.terms[0].kind == "ad_valorem":
            return self.terms[0].amount / 100
        return None


class Quantities(msgspec.Struct, frozen=True, kw_only=True):
    items: Decimal
    kg: Decimal | None = None
    litres: Decimal | None = None


class MissingQuantity(ValueError):
    """A specific duty needs a quantity the declaration does not give (e.g. net weight)."""


def duty_amount(
    measure: TariffMeasure,
    value: Decimal,
    quantities: Quantities,
    convert: Callable[[Decimal, str], Decimal],
) -> Decimal:
    """The duty of one item line under a measure, unrounded, in the jurisdiction's currency.

    ``convert(amount, currency)`` turns a specific duty's money into the jurisdiction's currency.
    """
    groups: list[tuple[TermOp, Decimal]] = []
    for term in measure.terms:
        amount = _term(term, value, quantities, convert)
        if term.op == "+" and groups:
            op, total = groups[-1]
            groups[-1] = (op, total + amount)
        else:
            groups.append((term.op, amount))
    result = Decimal(0)
    for op, amount in groups:
        if op == "+":
            result += amount
        elif op == "max":
            result = min(result, amount)
        else:
            result = max(result, amount)
    return max(result, Decimal(0))


def _term(
    term: DutyTerm, value: Decimal, quantities: Quantities, convert: Callable[[Decimal, str], Decimal]
) -> Decimal:
    if term.kind == "ad_valorem":
        return value * term.amount / 100
    basis, scale = _UNIT_SCALE[term.unit or "item"]
    quantity = {"item": quantities.items, "kg": quantities.kg, "l": quantities.litres}[basis]
    if quantity is None:
        raise MissingQuantity(f"the duty is per {term.unit}, and no {basis} quantity was declared")
    money = term.amount * quantity / scale
    return convert(money, term.currency) if term.currency else money


def describe(terms: Iterable[DutyTerm]) -> str:
    """A readable duty expression, e.g. '12 % + 3.5 EUR / 100kg MAX 20 %'.

    A negative amount after the first term (the tariff's "minus % or amount") reads '- 2 %'.
    """
    parts: list[str] = []
    for term in terms:
        minus = bool(parts) and term.op == "+" and term.amount < 0
        number = f"{(-term.amount if minus else term.amount).normalize():f}"
        per = f"{term.currency} / {term.unit or 'item'}" if term.currency else f"/ {term.unit or 'item'}"
        text = f"{number} %" if term.kind == "ad_valorem" else f"{number} {per}"
        if not parts and term.op == "+":
            parts.append(text)
        else:
            parts.append(f"{('-' if minus else '+') if term.op == '+' else term.op.upper()} {text}")
    return " ".join(parts) or "free"


class TariffBook:
    """Measures by jurisdiction and code, looked up by longest prefix, origin and date."""

    def __init__(self, measures: Iterable[TariffMeasure] = ()) -> None:
        self._by_code: dict[tuple[str, str], list[TariffMeasure]] = {}
        self.add(measures)

    def add(self, measures: Iterable[TariffMeasure]) -> None:
        for measure in measures:
            self._by_code.setdefault((measure.jurisdiction, measure.code), []).append(measure)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_code.values())

    def find(self, jurisdiction: str, code: str, origin: str, as_of: dt.date) -> TariffMeasure | None:
        """The measure in force for the longest prefix of ``code`` that has one that applies.

        Preferences (measures limited to some origins) apply only when the origin is listed; of the
        measures that apply at one prefix, the origin-specific one wins over erga omnes, and an erga
        omnes suspension over the third-country duty it suspends. Quotas and end-use measures are
        never picked: they apply only when the declaration claims them (see ``CLAIMED_TYPES``).
        """
        for length in range(len(code), 1, -1):
            candidates = self._by_code.get((jurisdiction, code[:length]))
            if not candidates:
                continue
            best: TariffMeasure | None = None
            for measure in candidates:
                if measure.measure_type in CLAIMED_TYPES or not measure.in_force(as_of):
                    continue
                if measure.origins is not None and origin not in measure.origins:
                    continue
                if best is None or _rank(measure) > _rank(best):  # the first of equals stays
                    best = measure
            if best is not None:
                return best
        return None


def _rank(measure: TariffMeasure) -> tuple[bool, bool]:
    return measure.origins is not None, measure.measure_type == "suspension"
