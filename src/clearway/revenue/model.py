"""What the revenue engine takes and gives: goods in, an explained assessment out.

The input is the same for a public quote and for a declaration in the pipeline (a declaration is
mapped onto it), so both are assessed by exactly the same code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Nature = Literal["sale", "gift", "sample", "return", "documents"]
Channel = Literal["post", "courier"]
CollectionModel = Literal["vendor", "intermediary", "buyer", "platform", "none"]
LineKind = Literal["duty", "tax", "fee", "relief", "info"]
# Exchange rates are decimals but not money: described, so the document does not show them as Money.
Rate = Annotated[Decimal, msgspec.Meta(description="Units of `to` that one unit of `currency` is worth")]
Quotation = Annotated[Decimal, msgspec.Meta(description="A published figure that `rate` is the quotient of")]


class Goods(msgspec.Struct, frozen=True, kw_only=True):
    """One item line: what it is, how many, and what one costs in the consignment's currency."""

    line: int
    description: str
    hs_code: str
    quantity: Decimal
    unit_value: Decimal
    origin: str
    duty_rate: Decimal | None = None  # a fraction (0.12 = 12 %), supplied by the caller
    net_weight_kg: Decimal | None = None

    @property
    def value(self) -> Decimal:
        return self.quantity * self.unit_value


class PriorUsage(msgspec.Struct, frozen=True, kw_only=True):
    """What the same buyer already imported, in the destination's currency (per-person limits)."""

    day: Decimal = Decimal(0)
    year: Decimal = Decimal(0)


class Shipment(msgspec.Struct, frozen=True, kw_only=True):
    destination: str
    as_of: dt.date
    currency: str
    origin_country: str
    items: list[Goods]
    nature: Nature = "sale"
    transport_mode: str | None = None
    channel: Channel = "courier"
    shipping: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    tax_scheme_id: str | None = None
    buyer_id: str | None = None
    prior: PriorUsage | None = None
    # The consignee's and the dispatcher's postcodes: they place a special territory a country code
    # does not name (a German postcode 78266 is Büsingen, Swiss for customs and VAT).
    destination_postcode: str | None = None
    origin_postcode: str | None = None
    # False when origin_country is not known to be where the goods were dispatched from (a
    # declaration names the seller's country): an import declaration is then taken as an import,
    # never as a domestic or intra-Union movement (a CBEC seller registered in China ships from abroad).
    dispatch_known: bool = True

    @property
    def goods_value(self) -> Decimal:
        return sum((item.value for item in self.items), Decimal(0))


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One explained figure: what it is, how much, on what base, at what rate, and why."""

    kind: LineKind
    code: str
    description: str
    amount: Decimal | None  # None: due but the rate is unknown (never a silent zero)
    base: Decimal | None = None
    rate: str | None = None
    item: int | None = None
    parameters: list[str] = msgspec.field(default_factory=list)
    reference: str = ""


class Warning(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str


class ExchangeRate(msgspec.Struct, frozen=True, kw_only=True):
    """One unit of ``currency`` is worth ``rate`` ``to``, as published by ``source`` on ``date``."""

    source: str
    currency: str
    to: str
    rate: Rate
    date: dt.date
    # The customs rule that chose this rate (revenue.exchange), its legal basis, and whether the
    # rate only stands in for the official one (no table of the administration was loaded).
    rule: str = ""
    reference: str = ""
    indicative: bool = False
    # The published quotation behind ``rate`` when it is a quotient (a cross rate through the euro,
    # a table quoted the other way round): converting divides by the published figure, as the law
    # does, instead of multiplying by a rounded inverse ("GBP 583.66 / 0.8338" is exactly EUR 700).
    numerator: Quotation | None = None
    denominator: Quotation | None = None

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` of ``currency`` in ``to``."""
        if self.numerator is not None and self.denominator is not None:
            return amount * self.numerator / self.denominator
        return amount * self.rate


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    destination: str
    jurisdiction: str
    as_of: dt.date
    currency: str
    irg_category: int
    collection_model: CollectionModel
    # None when a line of that kind is unknown (a duty rate not loaded, a tax on an unknown duty):
    # an unknown figure is never shown as a number, and neither is a total it feeds.
    duty: Decimal | None
    tax: Decimal | None
    fees: Decimal | None
    total: Decimal | None
    complete: bool  # False when something the result needs is unknown; ``missing`` says what
    lines: list[Line]
    warnings: list[Warning]
    parameters: list[str]
    exchange_rate: ExchangeRate | None = None
    intrinsic_value: Decimal = Decimal(0)
    customs_value: Decimal = Decimal(0)
    tax_scheme: str | None = None
    tax_scheme_id: str | None = None
    # Set when a per-person limit was consulted: what this consignment counts against the buyer's
    # limit (China: the customs value; the US per-day de minimis: the value it compares).
    per_person_value: Decimal | None = None
    engine: str = "revenue-1"
    # Why ``complete`` is False: what is missing and what would complete it.
    missing: list[str] = msgspec.field(default_factory=list)
