"""The working state of one assessment: values converted to the destination's currency, the
parameters in force, and the lines and warnings written so far.

Amounts stay unrounded while they are bases; each line's amount is rounded once, by the
jurisdiction's rule, when it is written. Totals are sums of rounded lines, as on a customs notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from clearway.dataset.identifiers import currency_quantum
from clearway.jurisdictions import Params, Resolved
from clearway.revenue.exchange import Conversion, NoExchangeRate, customs_rate
from clearway.revenue.model import ExchangeRate, Goods, Line, LineKind, Shipment, Warning
from clearway.revenue.rates import RateSource
from clearway.revenue.schemes import SchemeRegistry
from clearway.revenue.tariff import TariffBook

_MODES = {"half_up": ROUND_HALF_UP, "half_down": ROUND_HALF_DOWN, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
# Components a jurisdiction's valuation may add up (its parameters name them).
COMPONENTS = frozenset({"goods", "transport", "insurance", "duty", "fees"})


class RevenueError(ValueError):
    """The shipment cannot be assessed (no rate for its currency, a jurisdiction file gap)."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(slots=True)
class Sources:
    """The reference data an assessment reads besides the jurisdiction's parameters."""

    rates: RateSource
    tariff: TariffBook
    registry: SchemeRegistry


@dataclass(slots=True)
class Computation:
    shipment: Shipment
    params: Params
    sources: Sources
    exchange: ExchangeRate
    currency: str
    lines: list[Line] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    item_values: list[Decimal] = field(default_factory=list)
    transport: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    category_four: list[str] = field(default_factory=list)  # why the consignment needs a full declaration
    per_person_value: Decimal | None = None  # what counts against a per-person (day or year) limit
    restricted: bool = False  # excise or restricted goods: outside the low-value regimes and schemes
    # What keeps the result from being complete (a rate, an exchange rate): each says what would
    # complete it. A figure that depends on a missing one is absent, never zero.
    missing: list[str] = field(default_factory=list)
    # The share of each item's value that is charged (1 unless a relief covers part of the goods:
    # a gift's items within the limit, 0; Canada's gift over CAD 60, the excess only).
    charged: list[Decimal] = field(default_factory=list)
    # The checkout scheme (IOSS, VOEC...) that covers the sale, decided before duty and tax.
    scheme: Mapping[str, Any] | None = None

    @property
    def as_of(self) -> dt.date:
        return self.shipment.as_of

    @property
    def items(self) -> Sequence[Goods]:
        return self.shipment.items

    @property
    def intrinsic(self) -> Decimal:
        return sum(self.item_values, Decimal(0))

    def convert_in(self, amount: Decimal) -> Decimal:
        return self.exchange.apply(amount)

    def money(self, resolved: Resolved) -> Decimal:
        """A money parameter in the destination's currency (thresholds may be set in USD or EUR)."""
        amount = resolved.decimal()
        if resolved.currency is None or resolved.currency == self.currency:
            return amount
        return self.limit(amount, resolved.currency)

    def limit(self, amount: Decimal, currency: str) -> Decimal:
        """A limit set in another currency, in the destination's, to the cent: it is compared with
        values declared to the cent, so "exactly the limit" stays exactly the limit."""
        return self.round_value(self.convert(amount, currency))

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        if currency == self.currency:
            return amount
        # The same customs rule as the declared value (a threshold in USD converts like the goods).
        try:
            conversion = customs_rate(
                self.params.find("exchange.rule"), self.sources.rates, currency, self.currency, self.as_of
            )
        except NoExchangeRate as exc:
            raise RevenueError(str(exc)) from exc
        self.explain_rate(conversion)
        return conversion.rate.apply(amount)

    def value_of(
        self,
        components: Sequence[str],
        *,
        duty: Decimal = Decimal(0),
        fees: Decimal = Decimal(0),
        charged: bool = False,
    ) -> Decimal:
        """The sum of ``components``; with ``charged``, only the part of the goods (and of their
        transport and insurance) no relief covers, the base of what is charged."""
        share = self.charged_share() if charged else Decimal(1)
        parts = {
            "goods": self.intrinsic * share,
            "transport": self.transport * share,
            "insurance": self.insurance * share,
            "duty": duty,
            "fees": fees,
        }
        return sum((parts[c] for c in components), Decimal(0))

    def charged_share(self) -> Decimal:
        """The charged part of the goods as a share of their value (transport follows the goods)."""
        if not self.charged:
            return Decimal(1)
        intrinsic = self.intrinsic
        if not intrinsic:
            return Decimal(1)
        return sum((v * f for v, f in zip(self.item_values, self.charged, strict=True)), Decimal(0)) / intrinsic

    def item_share(self, index: int, components: Sequence[str], *, charged: bool = False) -> Decimal:
        """An item's value plus its share (by value) of the transport and insurance ``components`` name;
        with ``charged``, only the part no relief covers."""
        value = self.item_values[index]
        intrinsic = self.intrinsic
        share = value / intrinsic if intrinsic else Decimal(1) / len(self.item_values)
        extra = (self.transport if "transport" in components else 0) + (
            self.insurance if "insurance" in components else 0
        )
        whole = (value if "goods" in components else Decimal(0)) + extra * share
        return whole * self.charged[index] if charged and self.charged else whole

    def round_line(self, kind: str, amount: Decimal) -> Decimal:
        # Where the duty total is rounded once (rounding.duty_total), duty lines keep the minor unit.
        if kind == "duty" and self.params.find("rounding.duty_total") is not None:
            return amount.quantize(currency_quantum(self.currency), rounding=ROUND_HALF_UP)
        return self.round(amount)

    def round(self, amount: Decimal) -> Decimal:
        mode = _MODES[str(self.params.value("rounding.mode", "half_up"))]
        quantum = self.params.value("rounding.quantum")
        step = Decimal(str(quantum)) if quantum is not None else currency_quantum(self.currency)
        rounded = (amount / step).quantize(Decimal(1), rounding=mode) * step
        return rounded.quantize(currency_quantum(self.currency))

    def round_value(self, amount: Decimal) -> Decimal:
        return amount.quantize(currency_quantum(self.currency))

    def add(
        self,
        kind: LineKind,
        code: str,
        description: str,
        amount: Decimal | None,
        *,
        used: Sequence[Resolved | None] = (),
        base: Decimal | None = None,
        rate: str | None = None,
        item: int | None = None,
        reference: str | None = None,
    ) -> Line:
        resolved = [r for r in used if r is not None]
        line = Line(
            kind=kind,
            code=code,
            description=description,
            amount=None if amount is None else self.round_line(kind, amount),
            base=None if base is None else base.quantize(currency_quantum(self.currency)),
            rate=rate,
            item=item,
            parameters=[r.version for r in resolved],
            reference=reference if reference is not None else _references(resolved),
        )
        self.lines.append(line)
        return line

    def explain_rate(self, conversion: Conversion) -> None:
        """One info line per rate used (which rule, which published rate and its date, the legal
        basis); a rate the rule does not allow makes the assessment incomplete, saying why."""
        rate = conversion.rate
        if rate.currency == rate.to:
            return
        text = f"1 {rate.currency} = {rate.rate.normalize():f} {rate.to}"
        if not any(line.code == "exchange.rate" and line.rate == text for line in self.lines):
            self.add(
                "info",
                "exchange.rate",
                f"{rate.currency} converted to {rate.to} at {rate.rule}",
                Decimal(0),
                used=conversion.rule.used(),
                rate=text,
                reference=rate.reference,
            )
        if conversion.problem is not None and conversion.problem not in self.missing:
            self.incomplete("exchange_rate_stale", conversion.problem)

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Warning(code=code, message=message))

    def incomplete(self, code: str, message: str) -> None:
        """Something the result needs is unknown: warn, and mark the assessment incomplete.

        ``message`` names what is missing and what would complete it (a rate to supply, a table to import).
        """
        self.warn(code, message)
        self.missing.append(message)

    def total(self, kind: LineKind) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind == kind and line.amount is not None), Decimal(0))

    def known_total(self, kind: LineKind) -> Decimal | None:
        """The sum of the lines of ``kind``, or None when one of them is unknown."""
        if any(line.amount is None for line in self.lines if line.kind == kind):
            return None
        return self.round_value(self.total(kind))

    def unknown(self, kind: LineKind) -> bool:
        return any(line.amount is None for line in self.lines if line.kind == kind)

    def fmt(self, amount: Decimal) -> str:
        return f"{amount.quantize(currency_quantum(self.currency)):,f} {self.currency}"


def _references(resolved: Sequence[Resolved]) -> str:
    # The formula's own reference is the general act; the parameters' references are the precise
    # articles, so the formula is cited only when nothing more precise was used.
    specific = [r for r in resolved if not r.name.startswith("formula.")] or list(resolved)
    return "; ".join(dict.fromkeys(r.reference for r in specific))


def rate_text(rate: Decimal) -> str:
    """A fraction as a percentage for people: 0.2 -> '20 %', 0.091 -> '9.1 %'."""
    return f"{(rate * 100).normalize():f} %"
