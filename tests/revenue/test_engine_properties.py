"""Properties of every assessment, on random parcels to every jurisdiction on random dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.dataset.identifiers import currency_quantum
from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Goods, PriorUsage, Shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

CATALOGUE = Catalogue.load()
SOURCES = Sources(rates=EcbRates(), tariff=TariffBook(), registry=RegistrySnapshot())
DESTINATIONS = CATALOGUE.destinations()
CURRENCIES = ["EUR", "USD", "GBP", "CNY", "JPY", "CHF", "CAD", "AUD"]
HS = ["610910", "620610", "847130", "392690", "950300", "330499", "220830", "640411", "851713"]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("6000"), places=2, allow_nan=False)
items = st.lists(
    st.builds(
        lambda line, hs, qty, value, origin, rate: Goods(
            line=line, description="goods", hs_code=hs, quantity=Decimal(qty), unit_value=value, origin=origin,
            duty_rate=rate,
        ),
        st.just(1), st.sampled_from(HS), st.integers(1, 5), money, st.sampled_from(["CN", "US", "MX", "GB", "DE"]),
        st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal("0.5"), places=3)),
    ),
    min_size=1,
    max_size=4,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    destination=st.sampled_from(DESTINATIONS),
    as_of=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2026, 12, 31)),
    currency=st.sampled_from(CURRENCIES),
    goods=items,
    shipping=st.decimals(min_value=0, max_value=Decimal("80"), places=2),
    nature=st.sampled_from(["sale", "sale", "gift", "return", "documents", "sample"]),
    channel=st.sampled_from(["post", "courier"]),
    prior_year=st.decimals(min_value=0, max_value=Decimal("30000"), places=2),
)
def test_totals_are_the_sum_of_rounded_non_negative_lines(
    destination: str,
    as_of: dt.date,
    currency: str,
    goods: list[Goods],
    shipping: Decimal,
    nature: str,
    channel: str,
    prior_year: Decimal,
) -> None:
    numbered = [Goods(**{**{f: getattr(g, f) for f in g.__struct_fields__}, "line": i}) for i, g in enumerate(goods, 1)]
    shipment = Shipment(
        destination=destination, as_of=as_of, currency=currency, origin_country=numbered[0].origin, items=numbered,
        nature=nature, channel=channel, shipping=shipping, prior=PriorUsage(year=prior_year),  # type: ignore[arg-type]
    )  # fmt: skip
    a = assess(shipment, CATALOGUE, SOURCES)
    quantum = currency_quantum(a.currency)
    for kind, total in (("duty", a.duty), ("tax", a.tax), ("fee", a.fees)):
        amounts = [line.amount for line in a.lines if line.kind == kind and line.amount is not None]
        assert total == sum(amounts, Decimal(0))
        assert total >= 0
        assert all(x == x.quantize(quantum) for x in amounts)
        # Only a rounding line may be negative (it brings a total down to the legal step).
        assert all(
            x >= 0
            for line in a.lines
            if line.kind == kind and not line.code.endswith(".rounding")
            for x in [line.amount or 0]
        )
    assert a.total == a.duty + a.tax + a.fees
    assert a.total == a.total.quantize(quantum)
    # Complete: every figure known and nothing else missing (an exchange rate the rule does not allow).
    assert a.complete == (not a.missing and all(line.amount is not None for line in a.lines))
    assert all(line.reference or line.kind == "info" or line.amount is None for line in a.lines), a.lines
    assert a.irg_category in (1, 2, 3, 4)
    if a.total == 0 and a.complete:
        assert a.collection_model == "none"
    if nature == "documents":
        assert a.irg_category == 1 and a.total == 0
