"""Compact assessment bodies (store.assessment_codec): every assessment comes back exactly, and
what assessments repeat is stored once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Assessment, ExchangeRate, Goods, Line, Shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook
from clearway.store.assessment_codec import Packer, _Line, _Packed, digests, unpack

CATALOGUE = Catalogue.load()
SOURCES = Sources(rates=EcbRates(), tariff=TariffBook(), registry=RegistrySnapshot())
ENCODE = msgspec.json.Encoder(decimal_format="string")

goods = st.lists(
    st.builds(
        lambda hs, qty, value, origin: Goods(
            line=1, description="goods", hs_code=hs, quantity=Decimal(qty), unit_value=value, origin=origin
        ),
        st.sampled_from(["610910", "847130", "950300", "220830", "851713"]),
        st.integers(1, 5),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000"), places=2),
        st.sampled_from(["CN", "US", "GB", "DE"]),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    destination=st.sampled_from(CATALOGUE.destinations()),
    as_of=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2026, 12, 31)),
    currency=st.sampled_from(["EUR", "USD", "GBP", "CNY"]),
    items=goods,
)
def test_every_assessment_comes_back_exactly(
    destination: str, as_of: dt.date, currency: str, items: list[Goods]
) -> None:
    shipment = Shipment(destination=destination, as_of=as_of, currency=currency, origin_country="CN", items=items)
    a = assess(shipment, CATALOGUE, SOURCES)
    [body], parts = Packer().pack([a])
    back = unpack(body, parts.__getitem__)
    # Equal as structs and as the JSON every reader serves (Decimal("1") == Decimal("1.00") as
    # numbers: the text must be the same too).
    assert back == a and ENCODE.encode(back) == ENCODE.encode(a)
    assert digests(body) == set(parts)


def test_repeated_values_are_parts_and_figures_that_differ_stay_apart() -> None:
    one = Line(
        kind="duty", code="duty.x", description="d", amount=Decimal("3.00"), reference="Reg 1/2", parameters=["p@1"]
    )
    rate = ExchangeRate(source="ECB", currency="USD", to="EUR", rate=Decimal("0.9"), date=dt.date(2026, 12, 1))
    base = Assessment(
        destination="DE", jurisdiction="EU", as_of=dt.date(2026, 12, 1), currency="EUR", irg_category=3,
        collection_model="vendor", duty=Decimal("3.00"), tax=None, fees=None, total=None, complete=False,
        lines=[one], warnings=[], parameters=["p@1", "q@2"], exchange_rate=rate, missing=["tax rate"],
    )  # fmt: skip
    # Same rate as a number, written differently: two parts, each given back as written.
    other = msgspec.structs.replace(base, exchange_rate=msgspec.structs.replace(rate, rate=Decimal("0.90")))
    bodies, parts = Packer().pack([base, base, other])
    assert bodies[0] == bodies[1] and len(parts) == 5  # line parameters, reference, parameters, 2 rates
    assert [str(unpack(b, parts.__getitem__).exchange_rate.rate) for b in bodies] == ["0.9", "0.9", "0.90"]  # type: ignore[union-attr]
    assert len(bodies[0]) < len(ENCODE.encode(base)) / 2


def test_a_body_stored_whole_before_is_read_as_before() -> None:
    whole = Assessment(
        destination="DE", jurisdiction="EU", as_of=dt.date(2026, 12, 1), currency="EUR", irg_category=1,
        collection_model="none", duty=Decimal(0), tax=Decimal(0), fees=Decimal(0), total=Decimal(0), complete=True,
        lines=[], warnings=[], parameters=["p@1"],
    )  # fmt: skip
    text = ENCODE.encode(whole).decode()
    assert digests(text) == set()
    assert unpack(text, lambda digest: (_ for _ in ()).throw(AssertionError(digest))) == whole


def test_the_compact_shapes_cover_every_field() -> None:
    # A field added to Assessment or Line must be added to the compact shape, or it would be lost.
    assert Assessment.__struct_fields__ == _Packed.__struct_fields__
    assert Line.__struct_fields__ == _Line.__struct_fields__
