"""Gift reliefs at the unit level: which items stay relieved above the limit, and what share is charged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Assessment, Goods, Shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

CATALOGUE = Catalogue.load()
SOURCES = Sources(rates=EcbRates(), tariff=TariffBook(), registry=RegistrySnapshot())


def _gift(destination: str, currency: str, *values: str, rate: str = "10") -> Assessment:
    items = [
        Goods(
            line=i, description=f"present {i}", hs_code="611020", quantity=Decimal(1), unit_value=Decimal(v),
            origin="US", duty_rate=Decimal(rate) / 100,
        )
        for i, v in enumerate(values, 1)
    ]  # fmt: skip
    shipment = Shipment(
        destination=destination, as_of=dt.date(2025, 3, 3), currency=currency, origin_country="US", items=items,
        nature="gift",
    )  # fmt: skip
    return assess(shipment, CATALOGUE, SOURCES)


def test_items_within_the_limit_are_taken_in_the_declared_order_and_never_split() -> None:
    # EUR 30 fits, EUR 20 would not (50 > 45), EUR 15 fits (45): items 1 and 3 are relieved.
    a = _gift("DE", "EUR", "30", "20", "15")
    [relief] = [line for line in a.lines if line.code == "nature.gift_items"]
    assert "items 1, 3" in relief.description and relief.base == Decimal("45.00")
    assert [line.base for line in a.lines if line.kind == "tax"] == [Decimal("20.00")]
    # Declared the other way round, the EUR 20 item is relieved instead: the order is the declarant's.
    b = _gift("DE", "EUR", "20", "30", "15")
    assert [line.base for line in b.lines if line.kind == "tax"] == [Decimal("30.00")]


def test_no_item_fits_when_each_exceeds_the_limit() -> None:
    a = _gift("DE", "EUR", "46", "47")
    assert "nature.gift_items" not in [line.code for line in a.lines]
    assert [line.base for line in a.lines if line.kind == "tax"] == [Decimal("93.00")]


def test_canada_charges_the_excess_over_cad_60_spread_over_the_items() -> None:
    a = _gift("CA", "CAD", "60", "40")
    # By courier from the US, CUSMA frees CAD 100 of duty (up to 150) but not of GST (over 40): the
    # GST is on the CAD 40 over the gift limit, 5 % = 2.00.
    [relief] = [line for line in a.lines if line.code == "nature.gift_excess"]
    assert relief.base == Decimal("40.00")
    assert [line.base for line in a.lines if line.kind == "tax"] == [Decimal("40.00")]
    assert a.duty == 0 and a.tax == Decimal("2.00")


def test_a_gift_within_the_limit_is_relieved_whole_and_says_by_which_rule() -> None:
    a = _gift("NO", "NOK", "999.99")
    [relief] = [line for line in a.lines if line.code == "nature.gift"]
    assert "is under" in relief.description and a.total == 0
    assert _gift("NO", "NOK", "1000").total != 0  # "under NOK 1,000" is strict


def test_each_article_is_an_item_so_part_of_a_line_can_be_relieved() -> None:
    # Two scarves at EUR 20 on one line and a EUR 30 book: both scarves fit in EUR 45 (40), the book
    # does not (70): the book is charged.
    a = _gift_lines("DE", [("2", "20"), ("1", "30")])
    assert [line.base for line in a.lines if line.kind == "tax"] == [Decimal("30.00")]
    # Three scarves at EUR 20: two fit (40), the third is charged with the book.
    b = _gift_lines("DE", [("3", "20"), ("1", "30")])
    [relief] = [line for line in b.lines if line.code == "nature.gift_items"]
    assert "1 (2 of 3)" in relief.description and relief.base == Decimal("40.00")
    assert [line.base for line in b.lines if line.kind == "tax"] == [Decimal("50.00")]


def test_a_consignment_over_the_limit_is_never_relieved_whole() -> None:
    # USD 3 x 10.94 + 19.53 into the UK: each line rounded alone would fit in GBP 39, the total does not.
    items = [("3", "10.94"), ("1", "19.53")]
    a = _gift_lines("GB", items, currency="USD", as_of=dt.date(2026, 8, 1))
    assert a.total is not None and a.total > 0
    [relief] = [line for line in a.lines if line.code == "nature.gift_items"]
    assert relief.base is not None and relief.base <= Decimal("39.00")


def _gift_lines(
    destination: str, lines: list[tuple[str, str]], *, currency: str = "EUR", as_of: dt.date = dt.date(2025, 3, 3)
) -> Assessment:
    items = [
        Goods(
            line=i, description=f"present {i}", hs_code="611020", quantity=Decimal(q), unit_value=Decimal(v),
            origin="US", duty_rate=Decimal("0.10"),
        )
        for i, (q, v) in enumerate(lines, 1)
    ]  # fmt: skip
    shipment = Shipment(
        destination=destination, as_of=as_of, currency=currency, origin_country="US", items=items, nature="gift"
    )
    return assess(shipment, CATALOGUE, SOURCES)
